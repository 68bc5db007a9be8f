import type { Journal } from '../journal/journal.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { SessionLifecycle } from '../sessions/lifecycle.js';

export type Hook = () => void | Promise<void>;

export type JournalWriter = Pick<Journal, 'append'>;

/** The live sessions by id, read-only: capabilities look sessions up, only the server adds and removes them. */
export type SessionDirectory = ReadonlyMap<string, ClientSession>;

/**
 * What the composition root (ServerState) hands every capability: where to journal, the
 * session lifecycle's extension points, the state root and where to plug in start/stop
 * work. The root also serves the capability's methods. Never the server state itself: a capability that needs another
 * receives it as its own constructor argument.
 */
export interface CapabilityHost {
  readonly journal: JournalWriter;
  readonly lifecycle: Pick<SessionLifecycle, 'onTeardown' | 'describeWith'>;
  /** `null` for an embedder that keeps no persistent state. */
  readonly stateRoot: string | null;
  /** Work to do once the daemon is ready to accept connections. */
  onStart(hook: Hook): void;
  /** Resources to release on shutdown, run in reverse order of registration. */
  onClose(hook: Hook): void;
}
