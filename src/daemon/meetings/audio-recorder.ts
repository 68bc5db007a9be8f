import { open, type FileHandle } from 'node:fs/promises';
import { wavHeader } from '../../audio/wav.js';
import { PcmConverter } from '../../audio/resample.js';

/** A meeting's recordings (docs/protocol.md#meetings) are always 16 kHz mono s16le, whatever the source's rate and channels. */
const RECORDED_RATE = 16000;
const HEADER_BYTES = 44;

/**
 * One stream's recording (`audio.wav`, `audio.<n>-<role>.wav`): a pushed or captured meeting's
 * audio for its final pass, and a file meeting's for `persist_audio`. The header's sizes are
 * written at close; until then they read 0, which WAV readers (ours included) take as "until
 * the end of the file", so a recording cut short by a crash still plays.
 */
export class AudioRecorder {
  private dataBytes = 0;
  /** Writes queued by `append`, in order. */
  private pending: Promise<void> = Promise.resolve();
  private failure: Error | null = null;

  private constructor(
    readonly file: string,
    private readonly handle: FileHandle,
    private readonly converter: PcmConverter,
  ) {}

  static async create(file: string, sourceRate: number, sourceChannels: 1 | 2): Promise<AudioRecorder> {
    const handle = await open(file, 'wx', 0o600);
    await handle.write(wavHeader(RECORDED_RATE, 1, 0), 0, HEADER_BYTES, 0);
    return new AudioRecorder(file, handle, new PcmConverter(sourceRate, sourceChannels, RECORDED_RATE));
  }

  private async write(pcm: Buffer): Promise<void> {
    const samples = this.converter.convert(pcm);
    const bytes = Buffer.allocUnsafe(samples.length * 2);
    for (let index = 0; index < samples.length; index++) bytes.writeInt16LE(samples[index]!, index * 2);
    await this.handle.write(bytes, 0, bytes.length, HEADER_BYTES + this.dataBytes);
    this.dataBytes += bytes.length;
  }

  /** Queues a chunk (for callers that cannot wait); the first failed write is reported by `close`. */
  append(pcm: Uint8Array): void {
    const chunk = Buffer.from(pcm);
    this.pending = this.pending
      .then(() => (this.failure ? undefined : this.write(chunk)))
      .catch((error: Error) => {
        this.failure ??= error;
      });
  }

  /** Bytes of 16 kHz mono audio on disk so far. */
  get recordedBytes(): number {
    return this.dataBytes;
  }

  async close(): Promise<void> {
    await this.pending;
    try {
      await this.handle.write(wavHeader(RECORDED_RATE, 1, this.dataBytes), 0, HEADER_BYTES, 0);
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
    if (this.failure) throw this.failure;
  }
}
