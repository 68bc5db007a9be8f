import { splitChannels } from '../../audio/frames.js';
import { CarError } from '../../errors.js';
import {
  BYTES_PER_SAMPLE,
  encodeVoiceFrame,
  type CaptureSourceSpec,
  type VoiceEvent,
  type VoiceSessionInfo,
  type VoiceStopResult,
} from '../../protocol/voice.js';
import type { Connection } from '../connection.js';

/** Voice workflows over any connection: stream audio to a voice session as binary frames, transcribe a whole input, dictate from a source the daemon records. */

export interface AudioInput {
  sampleRate: number;
  channels: 1 | 2;
  /** s16le PCM at `sampleRate` and `channels`, whole frames. */
  pcm: AsyncIterable<Uint8Array>;
}

/** Each binary frame carries this much audio; real-time pacing sends one per interval. */
const FRAME_MS = 100;
/** Without pacing, at most this much audio is sent ahead of what the engine has decoded. */
const AHEAD_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface TranscribeOptions {
  /** Send at the audio's own pace (live dictation); otherwise as fast as the engine decodes. */
  realtime: boolean;
  partials: boolean;
  /** `recording` for a whole file: finals from long windows cut at the longest pauses, as a batch decoder does. Default `live`. */
  mode?: 'live' | 'recording';
  onEvent(event: VoiceEvent): void;
  /** Aborting stops reading input; what was sent is still transcribed. */
  signal?: AbortSignal;
  /** Called once the session is open, before any audio is sent. */
  onStarted?(started: VoiceSessionInfo): void;
}

/** One voice session over binary frames: start, send the audio, stop; events arrive through `onEvent` meanwhile. */
export async function transcribe(client: Connection, input: AudioInput, options: TranscribeOptions): Promise<VoiceStopResult> {
  const started = await client.call('voice.transcribe_stream.start', {
    audio_source: { kind: 'pcm_push', sample_rate: input.sampleRate, channels: input.channels },
    options: { partials: options.partials, ...(options.mode ? { mode: options.mode } : {}) },
  });
  const sessionId = started.session_id;
  options.onStarted?.(started);
  let fatal: string | null = null;
  const failed = new AbortController();
  const unsubscribe = client.on('voice.event', ({ session_id, event }) => {
    if (session_id !== sessionId) return;
    if (event.type === 'error' && event.fatal) {
      fatal = event.message;
      failed.abort();
    }
    options.onEvent(event);
  });
  try {
    const signal = options.signal ? AbortSignal.any([options.signal, failed.signal]) : failed.signal;
    await sendAudio(client, [sessionId], input, { realtime: options.realtime, signal });
    if (fatal) throw new CarError(`transcription failed: ${fatal}`, 'check `car voice providers` and the daemon log');
    return await client.call('voice.transcribe_stream.stop', { session_id: sessionId });
  } finally {
    unsubscribe();
  }
}

export interface DictateOptions {
  partials: boolean;
  /** Called once the daemon records (says which source), and for each event. */
  onStarted(started: VoiceSessionInfo): void;
  onEvent(event: VoiceEvent): void;
  /** Aborting (Ctrl-C) ends the dictation; what was heard is still transcribed. */
  signal: AbortSignal;
}

/** A voice session the daemon records from a sound-server source until `signal` aborts; events arrive through `onEvent` meanwhile. */
export async function dictate(client: Connection, source: CaptureSourceSpec, options: DictateOptions): Promise<VoiceStopResult> {
  const started = await client.call('voice.transcribe_stream.start', {
    audio_source: { kind: 'capture', sources: [source] },
    options: { partials: options.partials },
  });
  let fatal: string | null = null;
  const failed = new AbortController();
  const unsubscribe = client.on('voice.event', ({ session_id, event }) => {
    if (session_id !== started.session_id) return;
    if (event.type === 'error' && event.fatal) {
      fatal = event.message;
      failed.abort();
    }
    options.onEvent(event);
  });
  try {
    options.onStarted(started);
    const ended = AbortSignal.any([options.signal, failed.signal]);
    await new Promise<void>((resolve) => (ended.aborted ? resolve() : ended.addEventListener('abort', () => resolve(), { once: true })));
    if (fatal) throw new CarError(`dictation stopped: ${fatal}`, 'check the source with `car voice devices`, then start again');
    return await client.call('voice.transcribe_stream.stop', { session_id: started.session_id });
  } finally {
    unsubscribe();
  }
}

export interface SendOptions {
  /** Send at the audio's own pace (live dictation); otherwise as fast as the engine decodes. */
  realtime?: boolean;
  /** Aborting stops sending at once, even while a read is blocked on a silent pipe. */
  signal: AbortSignal;
}

/**
 * Streams `input` as binary frames until the input ends or `signal` aborts: all of it to one
 * voice session, or channel n alone to the n-th of several (a split stereo recording). The
 * frames already sent are still transcribed before a stop answers.
 */
export async function sendAudio(client: Connection, sessionIds: readonly string[], input: AudioInput, options: SendOptions): Promise<void> {
  const { signal } = options;
  const frameBytes = BYTES_PER_SAMPLE * input.channels;
  const chunkBytes = Math.round((input.sampleRate * FRAME_MS) / 1000) * frameBytes;
  const bytesPerMs = (input.sampleRate * frameBytes) / 1000;
  const sending = (async () => {
    const startedAt = performance.now();
    let sentBytes = 0;
    let seq = 0;
    let barrier: Promise<unknown> = Promise.resolve();
    let barrierAt = 0;
    for await (const chunk of rechunk(input.pcm, chunkBytes)) {
      if (signal.aborted) break;
      if (options.realtime) {
        const due = startedAt + sentBytes / bytesPerMs - performance.now();
        if (due > 0) await sleep(due);
      }
      const parts = sessionIds.length === 1 ? [chunk] : splitChannels(chunk, sessionIds.length);
      parts.forEach((part, index) => client.sendBinary(encodeVoiceFrame(sessionIds[index]!, seq, part)));
      seq++;
      sentBytes += chunk.length;
      if (!options.realtime && sentBytes - barrierAt >= (AHEAD_MS / 2) * bytesPerMs) {
        // An empty push resolves once every earlier frame has been decoded: flow control without a reply per frame.
        await barrier;
        barrier = Promise.all(sessionIds.map((sessionId) => client.call('voice.transcribe_stream.push', { session_id: sessionId, pcm_b64: '' })));
        barrierAt = sentBytes;
      }
    }
    // A failed barrier means the session ended early; the stop that follows reports how.
    await barrier.catch(() => undefined);
  })();
  // After an abort a late rejection of the abandoned read is moot.
  sending.catch(() => undefined);
  const aborted = new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));
  await Promise.race([sending, aborted]);
}

/** Regroups whole frames into chunks of `size` bytes; the last chunk may be shorter. */
async function* rechunk(bytes: AsyncIterable<Uint8Array>, size: number): AsyncGenerator<Uint8Array> {
  let pending: Uint8Array = new Uint8Array(0);
  for await (const chunk of bytes) {
    pending = pending.length ? concat(pending, chunk) : chunk;
    while (pending.length >= size) {
      yield pending.subarray(0, size);
      pending = pending.subarray(size);
    }
  }
  if (pending.length) yield pending;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a);
  joined.set(b, a.length);
  return joined;
}
