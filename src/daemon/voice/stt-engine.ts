import type { TranscriptionMode, VoiceEvent } from '../../protocol/voice.js';

export type { TranscriptionMode } from '../../protocol/voice.js';

/**
 * `reason` says what is missing, `hint` what to do about it. An engine that runs but cannot
 * do its job (a model without real weights) is available with a `warning` and that `hint`.
 */
export type Availability = { available: true; warning?: string; hint?: string } | { available: false; reason: string; hint: string };

export interface SttStreamOptions {
  /** Of the PCM the client pushes (s16le). */
  sampleRate: number;
  channels: 1 | 2;
  /** Emit `partial` events while an utterance is open. */
  partials: boolean;
  /**
   * `recording`: the audio is a whole recording sent as fast as it decodes (a file, a
   * meeting's final pass), so finals may wait for long windows; `live` (the default) finals follow speech.
   */
  mode?: TranscriptionMode;
}

/**
 * One live transcription: PCM in, `voice.event`s out through the listener given at open.
 * A stream that fails emits an `error` event with `fatal: true` and accepts nothing more.
 */
export interface SttStream {
  /** Resolves once the engine has taken the chunk (decoded it), so callers feel backpressure. */
  write(pcm: Uint8Array): Promise<void>;
  /** Flushes: the last utterance's events are emitted before this resolves. */
  end(): Promise<void>;
  /** Drops the stream at once, without further events, and frees its decoder. */
  discard(): void;
}

/** A speech-to-text engine selectable with `options.provider` (docs/protocol.md#voice-transcribe_stream-start). */
export interface SttEngine {
  readonly id: string;
  readonly description: string;
  /** Primary language subtags it transcribes (`en` covers `en-US`). */
  readonly languages: readonly string[];
  availability(): Availability;
  /** Whether sessions should get this engine when they name none (whisper with a real model); the registry falls back to the first available. */
  preferred?(): boolean;
  open(options: SttStreamOptions, onEvent: (event: VoiceEvent) => void): Promise<SttStream>;
  /** Streams holding a decoder right now. */
  openStreams(): number;
  /** Daemon shutdown: streams are gone by then; release threads and models. */
  close(): Promise<void>;
}
