import type { WebSocket } from 'ws';

/** The frame limit once signed in (docs/protocol.md#liveness-and-close-codes). */
export const MAX_FRAME_BYTES = 8 * 1024 * 1024;
/** The frame limit before sign-in: `session.auth` needs a few hundred bytes (issue 26). */
export const PRE_AUTH_FRAME_BYTES = 4 * 1024;

export interface ReceiverLimits {
  /** Bytes in one message. */
  maxPayload: number;
  /** Socket reads held before a frame is complete (a trickle of 1-byte reads costs ~100 B each). */
  maxBufferedChunks: number;
  /** Fragments of one message. */
  maxFragments: number;
}

/** `ws`'s own defaults, but 8 MiB per message. */
export const SIGNED_IN_LIMITS: ReceiverLimits = { maxPayload: MAX_FRAME_BYTES, maxBufferedChunks: 256 * 1024, maxFragments: 16 * 1024 };
/** A connection not signed in holds at most ~4 KiB of an unfinished frame, so 64 of them hold a quarter of a MiB, not 512 MiB. */
export const PRE_AUTH_LIMITS: ReceiverLimits = { maxPayload: PRE_AUTH_FRAME_BYTES, maxBufferedChunks: 64, maxFragments: 4 };

/** The fields of ws's Receiver (ws 8.x) that hold one connection's limits. */
interface ReceiverFields {
  _maxPayload: number;
  _maxBufferedChunks: number;
  _maxFragments: number;
}

/**
 * Raises a connection's limits from `PRE_AUTH_LIMITS` to `SIGNED_IN_LIMITS` once it signs
 * in with `session.auth`. ws takes its limits per server, not per connection, so this sets
 * its receiver's fields; test/daemon/server/frame-limits.test.ts fails if ws renames them.
 */
export function liftFrameLimits(ws: WebSocket): void {
  const receiver = (ws as unknown as { _receiver?: Partial<ReceiverFields> })._receiver;
  if (!receiver || typeof receiver._maxPayload !== 'number') throw new Error('ws has no receiver limits to raise (its internals changed); see frame-limits.ts');
  receiver._maxPayload = SIGNED_IN_LIMITS.maxPayload;
  receiver._maxBufferedChunks = SIGNED_IN_LIMITS.maxBufferedChunks;
  receiver._maxFragments = SIGNED_IN_LIMITS.maxFragments;
}

/** The close reason for a frame over the limit in force (docs/protocol.md#liveness-and-close-codes spells it out; ws sends none). */
export function frameLimitReason(signedIn: boolean): string {
  return signedIn ? 'frame exceeds 8 MiB' : 'frame exceeds 4 KiB before sign-in; call session.auth first or send the token with the upgrade';
}
