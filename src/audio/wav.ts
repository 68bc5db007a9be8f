/**
 * Streaming WAV decoding to 16-bit little-endian PCM, shared by the CLI (files and stdin)
 * and the daemon (meeting file sources). Bytes are pushed as they arrive, so a
 * multi-gigabyte file or an endless `arecord -t wav` stream never has to fit in memory.
 */

export interface WavFormat {
  /** Of the decoded output, which is always s16le. */
  sampleRate: number;
  /** Of the decoded output: 1 or 2 (files with more channels are mixed down to mono). */
  channels: 1 | 2;
  /** As stored in the file, for messages. */
  sourceChannels: number;
  sourceBitsPerSample: number;
  /** Bytes of audio the file declares; `null` for a stream that did not know its length (it runs until end of input). */
  dataBytes: number | null;
}

export class WavError extends Error {
  override name = 'WavError';
}

const WAVE_FORMAT_PCM = 1;
const WAVE_FORMAT_IEEE_FLOAT = 3;
const WAVE_FORMAT_EXTENSIBLE = 0xfffe;
/** Streaming writers put 0xFFFFFFFF (or 0) in the size fields they cannot know yet. */
const UNKNOWN_SIZES = new Set([0, 0xffffffff]);
/** A header larger than this is not a WAV file we can stream. */
const MAX_HEADER_BYTES = 1024 * 1024;

/** What the first bytes of a file look like, to refuse other formats with a useful message. */
export function sniffAudio(head: Uint8Array): 'wav' | 'mp3' | 'ogg' | 'flac' | 'text' | 'unknown' {
  const ascii = Buffer.from(head.subarray(0, 4)).toString('latin1');
  if (ascii === 'RIFF' && Buffer.from(head.subarray(8, 12)).toString('latin1') === 'WAVE') return 'wav';
  if (ascii.startsWith('ID3') || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0)) return 'mp3';
  if (ascii === 'OggS') return 'ogg';
  if (ascii === 'fLaC') return 'flac';
  if (looksLikeText(head)) return 'text';
  return 'unknown';
}

/**
 * Text, not audio: no control bytes but tabs and line ends, and UTF-8 (an incomplete last
 * character aside). Raw PCM of speech or silence is full of bytes below 0x20, so a dozen
 * bytes that pass this are text.
 */
function looksLikeText(head: Uint8Array): boolean {
  const sample = head.subarray(0, 512);
  const control = (byte: number) => (byte < 0x20 && byte !== 0x09 && byte !== 0x0a && byte !== 0x0d) || byte === 0x7f;
  if (sample.length === 0 || sample.some(control)) return false;
  for (let incomplete = 0; incomplete < 4 && incomplete < sample.length; incomplete++) {
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(sample.subarray(0, sample.length - incomplete));
      return true;
    } catch {
      // a character cut at the end of the sample; try without its last bytes
    }
  }
  return false;
}

interface SourceFormat {
  sampleRate: number;
  channels: number;
  bitsPerSample: number;
  float: boolean;
}

/**
 * Push the file's bytes in; get s16le PCM out. `format` is set once the header has been
 * read; until then `push` returns empty buffers.
 */
export class WavDecoder {
  format: WavFormat | null = null;
  private source: SourceFormat | null = null;
  private header = Buffer.alloc(0);
  private remainder = Buffer.alloc(0);
  private dataLeft = Infinity;

  push(chunk: Buffer): Buffer {
    if (this.format) return this.decode(chunk);
    this.header = Buffer.concat([this.header, chunk]);
    const parsed = this.parseHeader();
    if (!parsed) return Buffer.alloc(0);
    const rest = this.header.subarray(parsed.dataOffset);
    this.header = Buffer.alloc(0);
    return this.decode(rest);
  }

  /** Call at end of input: refuses a file that ended before its header did. */
  end(): void {
    if (!this.format) throw new WavError('the WAV file ended before its header was complete');
  }

  private parseHeader(): { dataOffset: number } | null {
    const bytes = this.header;
    if (bytes.length < 12) return null;
    const kind = sniffAudio(bytes);
    if (kind !== 'wav') throw notWav(kind);
    let offset = 12;
    let source: SourceFormat | null = null;
    while (offset + 8 <= bytes.length) {
      const id = bytes.toString('latin1', offset, offset + 4);
      const size = bytes.readUInt32LE(offset + 4);
      const body = offset + 8;
      if (id === 'data') {
        if (!source) throw new WavError("the WAV file has no 'fmt ' chunk before its audio");
        this.adopt(source, UNKNOWN_SIZES.has(size) ? null : size);
        return { dataOffset: body };
      }
      if (body + size > bytes.length) {
        if (body + size > MAX_HEADER_BYTES) throw new WavError(`the WAV file's '${id.trim()}' chunk is ${size} bytes; it does not look like audio`);
        return null;
      }
      if (id === 'fmt ') source = parseFmt(bytes.subarray(body, body + size));
      offset = body + size + (size % 2);
    }
    if (bytes.length > MAX_HEADER_BYTES) throw new WavError("the WAV file has no 'data' chunk in its first MiB");
    return null;
  }

  private adopt(source: SourceFormat, dataBytes: number | null): void {
    this.source = source;
    this.dataLeft = dataBytes ?? Infinity;
    const channels = source.channels <= 2 ? (source.channels as 1 | 2) : 1;
    const outputBytes = dataBytes === null ? null : Math.floor(dataBytes / frameBytes(source)) * channels * 2;
    this.format = {
      sampleRate: source.sampleRate,
      channels,
      sourceChannels: source.channels,
      sourceBitsPerSample: source.bitsPerSample,
      dataBytes: outputBytes,
    };
  }

  private decode(chunk: Buffer): Buffer {
    const source = this.source!;
    const usable = chunk.subarray(0, Math.min(chunk.length, this.dataLeft));
    this.dataLeft -= usable.length;
    const bytes = this.remainder.length ? Buffer.concat([this.remainder, usable]) : usable;
    const frame = frameBytes(source);
    const whole = bytes.length - (bytes.length % frame);
    this.remainder = Buffer.from(bytes.subarray(whole));
    return toS16(bytes.subarray(0, whole), source, this.format!.channels);
  }
}

function parseFmt(fmt: Buffer): SourceFormat {
  if (fmt.length < 16) throw new WavError("the WAV file's 'fmt ' chunk is too short");
  let tag = fmt.readUInt16LE(0);
  const channels = fmt.readUInt16LE(2);
  const sampleRate = fmt.readUInt32LE(4);
  const bitsPerSample = fmt.readUInt16LE(14);
  if (tag === WAVE_FORMAT_EXTENSIBLE && fmt.length >= 26) tag = fmt.readUInt16LE(24);
  const float = tag === WAVE_FORMAT_IEEE_FLOAT;
  if (tag !== WAVE_FORMAT_PCM && !float)
    throw new WavError(`the WAV file is compressed (format tag 0x${tag.toString(16)}); convert it to PCM, e.g. \`sox in.wav -e signed -b 16 out.wav\``);
  if (channels < 1) throw new WavError('the WAV file declares no channels');
  if (sampleRate < 1) throw new WavError('the WAV file declares a sample rate of 0 Hz');
  const supported = float ? bitsPerSample === 32 : [8, 16, 24, 32].includes(bitsPerSample);
  if (!supported)
    throw new WavError(`the WAV file has ${bitsPerSample}-bit ${float ? 'float' : 'integer'} samples; use 8/16/24/32-bit integer or 32-bit float`);
  return { sampleRate, channels, bitsPerSample, float };
}

const frameBytes = (source: SourceFormat) => (source.bitsPerSample / 8) * source.channels;

/** Converts whole frames of the source format to s16le, mixing more than two channels down to mono. */
function toS16(bytes: Buffer, source: SourceFormat, outChannels: number): Buffer {
  if (!source.float && source.bitsPerSample === 16 && source.channels === outChannels) return Buffer.from(bytes);
  const width = source.bitsPerSample / 8;
  const frames = bytes.length / (width * source.channels);
  const out = Buffer.allocUnsafe(frames * outChannels * 2);
  const read = sampleReader(source);
  for (let frame = 0; frame < frames; frame++) {
    const base = frame * width * source.channels;
    if (outChannels === source.channels) {
      for (let channel = 0; channel < outChannels; channel++)
        out.writeInt16LE(toInt16(read(bytes, base + channel * width)), (frame * outChannels + channel) * 2);
    } else {
      let sum = 0;
      for (let channel = 0; channel < source.channels; channel++) sum += read(bytes, base + channel * width);
      out.writeInt16LE(toInt16(sum / source.channels), frame * 2);
    }
  }
  return out;
}

/** Reads one sample as a float in [-1, 1). */
function sampleReader(source: SourceFormat): (bytes: Buffer, offset: number) => number {
  if (source.float) return (bytes, offset) => bytes.readFloatLE(offset);
  switch (source.bitsPerSample) {
    case 8:
      return (bytes, offset) => (bytes[offset]! - 128) / 128;
    case 16:
      return (bytes, offset) => bytes.readInt16LE(offset) / 32768;
    case 24:
      return (bytes, offset) => bytes.readIntLE(offset, 3) / 8388608;
    default:
      return (bytes, offset) => bytes.readInt32LE(offset) / 2147483648;
  }
}

const toInt16 = (value: number) => Math.max(-32768, Math.min(32767, Math.round(value * 32768)));

function notWav(kind: ReturnType<typeof sniffAudio>): WavError {
  return new WavError(describeNonWav(kind));
}

/** Says what a file that is not WAV seems to be, and how to convert it. */
export function describeNonWav(kind: ReturnType<typeof sniffAudio>): string {
  if (kind === 'unknown' || kind === 'wav') return 'not a WAV file (no RIFF/WAVE header)';
  if (kind === 'text') return 'text, not audio';
  return `not a WAV file: it looks like ${kind.toUpperCase()}; convert it first, e.g. \`ffmpeg -i in.${kind} -ar 16000 -ac 1 out.wav\``;
}

/** A WAV header for s16le PCM, for writing test fixtures and recordings. */
export function wavHeader(sampleRate: number, channels: number, dataBytes: number): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(36 + dataBytes, 4);
  header.write('WAVEfmt ', 8, 'latin1');
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(WAVE_FORMAT_PCM, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(sampleRate, 24);
  header.writeUInt32LE(sampleRate * channels * 2, 28);
  header.writeUInt16LE(channels * 2, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36, 'latin1');
  header.writeUInt32LE(dataBytes, 40);
  return header;
}
