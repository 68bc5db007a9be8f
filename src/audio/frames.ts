/** Helpers for 16-bit PCM held as Int16Array samples. */

/**
 * Cuts a stream of samples into frames of a fixed size whatever the chunking it arrives in,
 * so everything downstream behaves the same for one big push or many small ones.
 */
export class FrameSplitter {
  /** Samples short of a whole frame, prepended to the next chunk. */
  private pending = new Int16Array(0);

  constructor(readonly frameSamples: number) {}

  /** The whole frames completed by this chunk, in order. */
  push(samples: Int16Array): Int16Array[] {
    const input = this.pending.length ? concatSamples([this.pending, samples]) : samples;
    const frames: Int16Array[] = [];
    let offset = 0;
    for (; offset + this.frameSamples <= input.length; offset += this.frameSamples) frames.push(input.subarray(offset, offset + this.frameSamples));
    this.pending = input.slice(offset);
    return frames;
  }

  /** The last, shorter frame at the end of the stream (possibly empty); the splitter starts over. */
  drain(): Int16Array {
    const rest = this.pending;
    this.pending = new Int16Array(0);
    return rest;
  }
}

export function concatSamples(chunks: readonly Int16Array[]): Int16Array {
  const joined = new Int16Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
  let offset = 0;
  for (const chunk of chunks) {
    joined.set(chunk, offset);
    offset += chunk.length;
  }
  return joined;
}

/** Samples scaled to [-1, 1), as neural engines (whisper, Silero VAD) take them. */
export function toFloat32(samples: Int16Array): Float32Array {
  return Float32Array.from(samples, (sample) => sample / 32768);
}

/** A view of s16le bytes as samples (copied when the bytes are not 2-byte aligned). */
export function samplesOf(bytes: Uint8Array): Int16Array {
  if (bytes.byteOffset % 2 === 0) return new Int16Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 2));
  return new Int16Array(bytes.slice().buffer, 0, Math.floor(bytes.byteLength / 2));
}

/** Interleaved s16le of `channels` channels as one mono s16le buffer per channel (a call recording: one speaker per channel). */
export function splitChannels(pcm: Uint8Array, channels: number): Uint8Array[] {
  const frames = Math.floor(pcm.byteLength / (2 * channels));
  const input = new DataView(pcm.buffer, pcm.byteOffset, pcm.byteLength);
  return Array.from({ length: channels }, (_, channel) => {
    const mono = new Uint8Array(frames * 2);
    const output = new DataView(mono.buffer);
    for (let frame = 0; frame < frames; frame++) output.setInt16(frame * 2, input.getInt16((frame * channels + channel) * 2, true), true);
    return mono;
  });
}
