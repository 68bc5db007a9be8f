import { inspect } from 'node:util';
import type { A2aRouteAuth } from '../../protocol/a2ui.js';

/** Route credentials together with the one endpoint they may be sent to. */
export interface RouteCredentials {
  readonly endpoint: string;
  readonly auth: A2aRouteAuth;
}

/**
 * `a2ui_route_auth` (docs/protocol.md#a2ui-ingest): per-surface A2A credentials, in memory only. The entries sit
 * in a private field, and serialising or inspecting the store (a stray log line, a debug
 * dump of `ServerState`) shows only how many surfaces have credentials, never a value.
 */
export class A2uiRouteAuthStore {
  readonly #entries = new Map<string, RouteCredentials>();

  set(surfaceId: string, credentials: RouteCredentials): void {
    this.#entries.set(surfaceId, Object.freeze({ ...credentials }));
  }

  /** The credentials for a surface, only if they were recorded for this very endpoint. */
  forEndpoint(surfaceId: string, endpoint: string): A2aRouteAuth | null {
    const entry = this.#entries.get(surfaceId);
    return entry && entry.endpoint === endpoint ? entry.auth : null;
  }

  has(surfaceId: string): boolean {
    return this.#entries.has(surfaceId);
  }

  delete(surfaceId: string): void {
    this.#entries.delete(surfaceId);
  }

  get size(): number {
    return this.#entries.size;
  }

  toJSON(): { surfaces_with_route_auth: number } {
    return { surfaces_with_route_auth: this.#entries.size };
  }

  [inspect.custom](): string {
    return `A2uiRouteAuthStore { ${this.#entries.size} surface(s), values hidden }`;
  }

  toString(): string {
    return this[inspect.custom]();
  }
}
