import { createReadStream } from 'node:fs';
import type { AudioInput } from '../client/workflows/voice.js';
import { samplesOf } from '../audio/frames.js';
import { judgeSpeechRate } from '../audio/rate-check.js';
import { CarError } from '../errors.js';
import { WavDecoder, WavError, describeNonWav, sniffAudio } from '../audio/wav.js';
import { BYTES_PER_SAMPLE, DEFAULT_SAMPLE_RATE, MAX_SAMPLE_RATE, MIN_SAMPLE_RATE, type VoiceEvent } from '../protocol/voice.js';

/** `car voice transcribe`: reading audio from files or stdin and rendering the live transcript (the sending is client/workflows/voice.ts). */

export type { AudioInput } from '../client/workflows/voice.js';

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
    throw new CarError('no audio: stdin is a terminal', 'pipe audio in, pass a file, or leave out - to record the microphone', 2);
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
  if (head.length === 0)
    throw new CarError(
      `'${source === '-' ? 'stdin' : source}' is empty; there is no audio to transcribe`,
      'pass a WAV file, or pipe raw s16le 16 kHz mono into -',
    );
  const rest = remaining(head, bytes);
  const kind = sniffAudio(head);
  if (kind === 'wav') return decodeWav(rest, source);
  if (kind !== 'unknown' || (source !== '-' && !RAW_EXTENSIONS.test(source))) {
    throw new CarError(
      `'${source === '-' ? 'stdin' : source}' is ${describeNonWav(kind)}`,
      'pass a WAV file, or raw s16le 16 kHz mono on stdin or in a .raw file',
    );
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
    throw new CarError(
      `'${source}' is sampled at ${format.sampleRate} Hz; the daemon takes ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz`,
      'resample it, e.g. `sox in.wav -r 16000 out.wav`',
    );
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

async function* wholeFrames(bytes: AsyncIterable<Buffer>, frameBytes: number): AsyncGenerator<Buffer> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of bytes) {
    const joined = carry.length ? Buffer.concat([carry, chunk]) : chunk;
    const whole = joined.length - (joined.length % frameBytes);
    carry = Buffer.from(joined.subarray(whole));
    if (whole) yield joined.subarray(0, whole);
  }
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
