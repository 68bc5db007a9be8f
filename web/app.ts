import type { TemplateResult } from 'lit';
import type { Connection } from '../src/client/browser.js';

export type ViewId = 'sessions' | 'meetings' | 'approvals' | 'events' | 'surfaces' | 'memory' | 'inference';

/** What every view gets: the signed-in connection and a way to ask for a redraw. */
export interface App {
  readonly connection: Connection;
  /** The role the page signed in with (`client`, `host`, or `anonymous` on a daemon without auth). */
  readonly role: string;
  /** Redraws on the next animation frame; several calls in one turn draw once. */
  render(): void;
}

export interface View {
  readonly id: ViewId;
  readonly label: string;
  /** Subscriptions the view keeps for the page's lifetime. */
  start(): void | Promise<void>;
  /** Called when the view is shown and then every few seconds while it is, for what has no live event. */
  refresh?(): void | Promise<void>;
  render(): TemplateResult;
}

/** An error as one line for the page (an RpcError's message names what to fix). */
export function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function timeOf(iso: string | null): string {
  return iso ? new Date(iso).toLocaleTimeString() : '–';
}

export function dateTimeOf(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '–';
}
