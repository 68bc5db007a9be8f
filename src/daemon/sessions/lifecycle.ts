import type { SessionInfo } from '../../protocol/core.js';
import { log } from '../log.js';
import type { ClientSession } from './client-session.js';

export type TeardownStep = (session: ClientSession, reason: string) => void | Promise<void>;
export type SessionDescriber = (session: ClientSession) => Partial<SessionInfo>;

/**
 * The session lifecycle's extension points. Each capability registers its teardown step
 * under its step number in docs/protocol.md#teardown and, if it owns per-session resources, a
 * describer for its `sessions.list` fields, so the core never changes for a new capability.
 */
export class SessionLifecycle {
  private readonly steps: { order: number; name: string; run: TeardownStep }[] = [];
  private readonly describers: SessionDescriber[] = [];

  onTeardown(order: number, name: string, run: TeardownStep): void {
    this.steps.push({ order, name, run });
    this.steps.sort((a, b) => a.order - b.order);
  }

  describeWith(describer: SessionDescriber): void {
    this.describers.push(describer);
  }

  async teardown(session: ClientSession, reason: string): Promise<void> {
    for (const step of this.steps) {
      try {
        await step.run(session, reason);
      } catch (error) {
        log.warn('teardown step failed', { session: session.id, step: step.name, error: (error as Error).message });
      }
    }
  }

  describe(session: ClientSession): Partial<SessionInfo> {
    const info: Partial<SessionInfo> = {};
    for (const describer of this.describers) Object.assign(info, describer(session));
    return info;
  }
}
