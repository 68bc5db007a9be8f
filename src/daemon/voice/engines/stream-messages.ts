import type { VoiceEvent } from '../../../protocol/voice.js';
import type { TranscriptionMode } from '../stt-engine.js';

/** What the daemon tells an engine's worker thread about the streams it decodes, and what it answers. */

export type WorkerRequest =
  | { op: 'open'; ticket: number; stream: number; sampleRate: number; channels: 1 | 2; partials: boolean; mode: TranscriptionMode }
  | { op: 'write'; ticket: number; stream: number; pcm: ArrayBuffer }
  | { op: 'end'; ticket: number; stream: number }
  | { op: 'discard'; stream: number };

/** `failure` is the kind of an `EngineLoadFailure`, which a thrown error loses crossing the thread boundary. */
export type WorkerReply = { op: 'done'; ticket: number; error?: string; failure?: string } | { op: 'event'; stream: number; event: VoiceEvent };
