import { open, type FileHandle } from 'node:fs/promises';
import { wavHeader } from '../../audio/wav.js';
import { PcmConverter } from '../../audio/resample.js';

/** `audio.wav` (docs/protocol.md#meetings) is always 16 kHz mono s16le, whatever the source's rate and channels. */
const RECORDED_RATE = 16000;
const HEADER_BYTES = 44;

/**
 * `audio.wav` for `persist_audio`. The header's sizes are written at close; until then
 * they read 0, which WAV readers (ours included) take as "until the end of the file", so a
 * recording cut short by a crash still plays.
 */
export class AudioRecorder {
  private dataBytes = 0;

  private constructor(
    private readonly handle: FileHandle,
    private readonly converter: PcmConverter,
  ) {}

  static async create(file: string, sourceRate: number, sourceChannels: 1 | 2): Promise<AudioRecorder> {
    const handle = await open(file, 'wx', 0o600);
    await handle.write(wavHeader(RECORDED_RATE, 1, 0), 0, HEADER_BYTES, 0);
    return new AudioRecorder(handle, new PcmConverter(sourceRate, sourceChannels, RECORDED_RATE));
  }

  async write(pcm: Buffer): Promise<void> {
    const samples = this.converter.convert(pcm);
    const bytes = Buffer.allocUnsafe(samples.length * 2);
    for (let index = 0; index < samples.length; index++) bytes.writeInt16LE(samples[index]!, index * 2);
    await this.handle.write(bytes, 0, bytes.length, HEADER_BYTES + this.dataBytes);
    this.dataBytes += bytes.length;
  }

  async close(): Promise<void> {
    try {
      await this.handle.write(wavHeader(RECORDED_RATE, 1, this.dataBytes), 0, HEADER_BYTES, 0);
      await this.handle.sync();
    } finally {
      await this.handle.close();
    }
  }
}
