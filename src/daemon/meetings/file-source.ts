import { open, type FileHandle } from 'node:fs/promises';
import { WavDecoder, WavError, type WavFormat } from '../../audio/wav.js';
import { invalidParams, limitExceeded, notFound } from '../../protocol/errors.js';
import { MAX_MEETING_FILE_BYTES } from '../../protocol/meeting.js';
import { MAX_SAMPLE_RATE, MIN_SAMPLE_RATE } from '../../protocol/voice.js';

/** File bytes read per step: about 2 s of 16 kHz mono, so a stop request is noticed quickly. */
const READ_BYTES = 64 * 1024;

const FIELD = { field: 'audio_source.path' };

/**
 * A WAV file on the daemon's filesystem, checked before the meeting exists (readable,
 * a regular file, ≤ 2 GiB, a real WAV at a rate the speech engine takes) and then read as
 * s16le PCM, one step at a time, so it is paced by whoever consumes it.
 */
export class WavFileSource {
  private constructor(
    readonly path: string,
    readonly format: WavFormat,
    private readonly handle: FileHandle,
    private readonly decoder: WavDecoder,
    /** PCM decoded while the header was being read. */
    private pending: Buffer,
  ) {}

  static async open(path: string): Promise<WavFileSource> {
    let handle: FileHandle;
    try {
      handle = await open(path, 'r');
    } catch (error) {
      throw openError(path, error as NodeJS.ErrnoException);
    }
    try {
      const info = await handle.stat();
      if (!info.isFile()) throw invalidParams(`'${path}' is not a regular file; pass the path of a WAV file`, FIELD);
      if (info.size > MAX_MEETING_FILE_BYTES) {
        throw limitExceeded(`'${path}' is ${(info.size / 1024 ** 3).toFixed(1)} GiB; meeting files may be at most 2 GiB, so split it into parts`, FIELD);
      }
      const decoder = new WavDecoder();
      const pending: Buffer[] = [];
      while (!decoder.format) {
        const chunk = await readStep(handle, path);
        if (!chunk) decoder.end();
        else pending.push(decoder.push(chunk));
      }
      const format = decoder.format;
      if (format.sampleRate < MIN_SAMPLE_RATE || format.sampleRate > MAX_SAMPLE_RATE) {
        throw invalidParams(
          `'${path}' is sampled at ${format.sampleRate} Hz; meetings take ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz, so resample it (e.g. \`sox in.wav -r 16000 out.wav\`)`,
          FIELD,
        );
      }
      return new WavFileSource(path, format, handle, decoder, Buffer.concat(pending));
    } catch (error) {
      await handle.close();
      if (error instanceof WavError) throw invalidParams(`'${path}' cannot be used: ${error.message}`, FIELD);
      throw error;
    }
  }

  /** The audio as s16le PCM at `format`'s rate and channels, until the end of the file or until `signal` aborts. */
  async *pcm(signal: AbortSignal): AsyncGenerator<Buffer> {
    if (this.pending.length) yield this.pending;
    this.pending = Buffer.alloc(0);
    while (!signal.aborted) {
      const chunk = await readStep(this.handle, this.path);
      if (!chunk) return;
      const pcm = this.decoder.push(chunk);
      if (pcm.length) yield pcm;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

async function readStep(handle: FileHandle, path: string): Promise<Buffer | null> {
  const buffer = Buffer.allocUnsafe(READ_BYTES);
  let bytesRead: number;
  try {
    ({ bytesRead } = await handle.read(buffer, 0, READ_BYTES, null));
  } catch (error) {
    throw invalidParams(`'${path}' cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); check the file`, FIELD);
  }
  return bytesRead === 0 ? null : buffer.subarray(0, bytesRead);
}

function openError(path: string, error: NodeJS.ErrnoException) {
  switch (error.code) {
    case 'ENOENT':
    case 'ENOTDIR':
      return notFound(`no file at '${path}' on the daemon's host; pass the absolute path of an existing WAV file`, FIELD);
    case 'EACCES':
    case 'EPERM':
      return invalidParams(`'${path}' cannot be read by the daemon (permission denied); make it readable by the user the daemon runs as`, FIELD);
    default:
      return invalidParams(`'${path}' cannot be opened (${error.code ?? error.message}); pass the path of a readable WAV file`, FIELD);
  }
}
