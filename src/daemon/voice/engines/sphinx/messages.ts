import type { VoiceEvent } from '../../../../protocol/voice.js';
import type { SphinxModel } from './addon.js';

/** What the daemon tells a PocketSphinx worker thread, and what it answers. */

export interface SphinxWorkerConfig {
  model: SphinxModel;
  /** Decoders kept loaded between sessions, so a new session skips the model load. */
  idleDecoders: number;
  /** An idle decoder unused this long is freed. */
  idleMs: number;
}

export type WorkerRequest =
  | { op: 'open'; ticket: number; stream: number; sampleRate: number; channels: 1 | 2; partials: boolean }
  | { op: 'write'; ticket: number; stream: number; pcm: ArrayBuffer }
  | { op: 'end'; ticket: number; stream: number }
  | { op: 'discard'; stream: number };

export type WorkerReply = { op: 'done'; ticket: number; error?: string } | { op: 'event'; stream: number; event: VoiceEvent };
