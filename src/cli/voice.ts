import { createReadStream } from 'node:fs';
import { samplesOf } from '../audio/frames.js';
import { judgeSpeechRate } from '../audio/rate-check.js';
import { setTimeout as sleep } from 'node:timers/promises';
import type { CarClient } from '../client/client.js';
import { CarError } from '../errors.js';
import { WavDecoder, WavError, describeNonWav, sniffAudio } from '../audio/wav.js';
import { BYTES_PER_SAMPLE, DEFAULT_SAMPLE_RATE, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, encodeVoiceFrame, type VoiceEvent, type VoiceStopResult } from '../protocol/voice.js';

/** `car voice transcribe`: reading audio, sending it as binary frames, rendering the live transcript. */

export interface AudioInput {
  sampleRate: number;
  channels: 1 | 2;
  /** s16le PCM at `sampleRate` and `channels`, whole frames. */
  pcm: AsyncIterable<Buffer>;
}

/** Each binary frame carries this much audio; real-time pacing sends one per interval. */
const FRAME_MS = 100;
/** Without pacing, at most this much audio is sent ahead of what the engine has decoded. */
const AHEAD_MS = 2000;
/** Seconds of raw audio whose voice pitch is checked against the claimed 16 kHz. */
const RATE_CHECK_SECONDS = 5;
const RAW_EXTENSIONS = /\.(raw|pcm|s16|s16le)$/i;

/**
 * Opens a WAV file (any rate from 8 to 48 kHz, any channels), raw s16le 16 kHz mono
 * (`.raw`/`.pcm` files), or stdin (`-`: WAV if it starts with a RIFF header, else raw).
 */
export async function openAudioInput(source: string): Promise<AudioInput> {
  // A terminal would be waited on forever for audio that never comes.
  if (source === '-' && process.stdin.isTTY) {
    throw new CarError('no audio: stdin is a terminal', 'pipe audio in (e.g. `arecord -f S16_LE -r 16000 -c 1 -t raw | car voice transcribe - --stream`) or pass a file', 2);
  }
  const stream = source === '-' ? process.stdin : createReadStream(source);
  const bytes = stream[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let head = Buffer.alloc(0);
  try {
    while (head.length < 12) {
      const next = await bytes.next();
      if (next.done) break;
      head = Buffer.concat([head, next.value]);
    }
  } catch (error) {
    throw new CarError(`cannot read '${source}': ${(error as Error).message}`, 'pass a readable WAV file, or - for stdin');
  }
  if (head.length === 0) throw new CarError(`'${source === '-' ? 'stdin' : source}' is empty; there is no audio to transcribe`, 'pass a WAV file, or pipe raw s16le 16 kHz mono into -');
  const rest = remaining(head, bytes);
  const kind = sniffAudio(head);
  if (kind === 'wav') return decodeWav(rest, source);
  if (kind !== 'unknown' || (source !== '-' && !RAW_EXTENSIONS.test(source))) {
    throw new CarError(`'${source === '-' ? 'stdin' : source}' is ${describeNonWav(kind)}`, 'pass a WAV file, or raw s16le 16 kHz mono on stdin or in a .raw file');
  }
  return { sampleRate: DEFAULT_SAMPLE_RATE, channels: 1, pcm: warnIfNotSpeechRate(wholeFrames(rest, BYTES_PER_SAMPLE), source) };
}

/** Raw audio carries no rate: the first seconds are checked once, and audio at another rate is warned about on stderr. */
async function* warnIfNotSpeechRate(pcm: AsyncIterable<Buffer>, source: string): AsyncGenerator<Buffer> {
  const checkBytes = RATE_CHECK_SECONDS * DEFAULT_SAMPLE_RATE * BYTES_PER_SAMPLE;
  let seen: Buffer[] = [];
  let seenBytes = 0;
  const check = () => {
    const { verdict, pitchHz } = judgeSpeechRate(samplesOf(Buffer.concat(seen)));
    seen = [];
    if (verdict === 'too-high' || verdict === 'too-low') {
      process.stderr.write(
        `warning: ${source === '-' ? 'stdin' : source} does not sound like 16 kHz speech (voices here pitch at ~${Math.round(pitchHz)} Hz); raw audio must be s16le 16 kHz mono, so pass a WAV file or resample it (e.g. \`sox -r 48000 -e signed -b 16 -c 1 in.raw -r 16000 out.raw\`)\n`,
      );
    }
  };
  for await (const chunk of pcm) {
    if (seenBytes < checkBytes) {
      seen.push(chunk);
      seenBytes += chunk.length;
      if (seenBytes >= checkBytes) check();
    }
    yield chunk;
  }
  if (seen.length) check();
}

async function decodeWav(bytes: AsyncIterable<Buffer>, source: string): Promise<AudioInput> {
  const decoder = new WavDecoder();
  const iterator = bytes[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  try {
    while (!decoder.format) {
      const next = await iterator.next();
      if (next.done) {
        decoder.end();
        break;
      }
      first.push(decoder.push(next.value));
    }
  } catch (error) {
    if (error instanceof WavError) throw new CarError(`'${source}': ${error.message}`, 'pass a 16-bit PCM WAV file');
    throw error;
  }
  const format = decoder.format!;
  if (format.sampleRate < MIN_SAMPLE_RATE || format.sampleRate > MAX_SAMPLE_RATE) {
    throw new CarError(`'${source}' is sampled at ${format.sampleRate} Hz; the daemon takes ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz`, 'resample it, e.g. `sox in.wav -r 16000 out.wav`');
  }
  async function* pcm(): AsyncGenerator<Buffer> {
    for (const chunk of first) if (chunk.length) yield chunk;
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      const chunk = decoder.push(next.value);
      if (chunk.length) yield chunk;
    }
  }
  return { sampleRate: format.sampleRate, channels: format.channels, pcm: pcm() };
}

async function* remaining(head: Buffer, rest: AsyncIterator<Buffer>): AsyncGenerator<Buffer> {
  yield head;
  for (;;) {
    const next = await rest.next();
    if (next.done) return;
    yield next.value;
  }
}

/** Regroups whole frames into chunks of `size` bytes; the last chunk may be shorter. */
async function* rechunk(bytes: AsyncIterable<Buffer>, size: number): AsyncGenerator<Buffer> {
  let pending: Buffer = Buffer.alloc(0);
  for await (const chunk of bytes) {
    pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
    while (pending.length >= size) {
      yield pending.subarray(0, size);
      pending = pending.subarray(size);
    }
  }
  if (pending.length) yield pending;
}

async function* wholeFrames(bytes: AsyncIterable<Buffer>, frameBytes: number): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of bytes) {
    const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = joined.length - (joined.length % frameBytes);
    carry = Buffer.from(joined.subarray(whole));
    if (whole) yield joined.subarray(0, whole);
  }
}

export interface TranscribeOptions {
  /** Send at the audio's own pace (live dictation); otherwise as fast as the engine decodes. */
  realtime: boolean;
  partials: boolean;
  onEvent(event: VoiceEvent): void;
  /** Aborting stops reading input; what was sent is still transcribed. */
  signal?: AbortSignal;
}

/** One voice session over binary frames: start, send the audio, stop; events arrive through `onEvent` meanwhile. */
export async function transcribe(client: CarClient, input: AudioInput, options: TranscribeOptions): Promise<VoiceStopResult> {
  const started = await client.call('voice.transcribe_stream.start', {
    audio_source: { kind: 'pcm_push', sample_rate: input.sampleRate, channels: input.channels },
    options: { partials: options.partials },
  });
  const sessionId = started.session_id;
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
    await sendAudio(client, sessionId, input, { realtime: options.realtime, signal });
    if (fatal) throw new CarError(`transcription failed: ${fatal}`, 'check `car voice providers` and the daemon log');
    return await client.call('voice.transcribe_stream.stop', { session_id: sessionId });
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
 * Streams `input` to voice session `sessionId` as binary frames until the input ends or
 * `signal` aborts. The frames already sent are still transcribed before a stop answers.
 */
export async function sendAudio(client: CarClient, sessionId: string, input: AudioInput, options: SendOptions): Promise<void> {
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
      client.sendBinary(encodeVoiceFrame(sessionId, seq++, chunk));
      sentBytes += chunk.length;
      if (!options.realtime && sentBytes - barrierAt >= (AHEAD_MS / 2) * bytesPerMs) {
        // An empty push resolves once every earlier frame has been decoded: flow control without a reply per frame.
        await barrier;
        barrier = client.call('voice.transcribe_stream.push', { session_id: sessionId, pcm_b64: '' });
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

/**
 * Live transcript on a terminal: the open segment's partial on one line rewritten in
 * place, each final printed as its own line when it arrives. Off a terminal only finals
 * are printed.
 */
export class LiveTranscript {
  private partialShown = false;

  constructor(private readonly out: NodeJS.WriteStream = process.stdout) {}

  show(event: VoiceEvent): void {
    if (event.type === 'partial' && this.out.isTTY) {
      const width = Math.max(10, (this.out.columns || 80) - 1);
      const text = event.text.length > width ? `…${event.text.slice(-(width - 1))}` : event.text;
      this.out.write(`\r\x1b[2K\x1b[2m${text}\x1b[0m`);
      this.partialShown = true;
    } else if (event.type === 'transcript') {
      this.clearPartial();
      this.out.write(`${event.text}\n`);
    } else if (event.type === 'error') {
      this.clearPartial();
      process.stderr.write(`${event.fatal ? 'error' : 'warning'}: ${event.message}\n`);
    }
  }

  clearPartial(): void {
    if (!this.partialShown) return;
    this.out.write('\r\x1b[2K');
    this.partialShown = false;
  }
}
