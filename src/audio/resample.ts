/**
 * Client audio (s16le, 8-48 kHz, mono or stereo) to what the speech engine wants (mono at
 * its own rate), chunk by chunk. Stereo is averaged to mono; the rate is changed with a
 * windowed-sinc filter whose cutoff sits below the lower Nyquist frequency, so 48 kHz
 * input does not fold its upper band into the engine's speech band. Output does not
 * depend on how the input was split into chunks.
 */

/** Zero crossings of the sinc on each side of the centre: the filter's sharpness. */
const ZERO_CROSSINGS = 8;
/** Kernel table entries per input sample; nearest-entry lookup is accurate to far below 16-bit noise. */
const TABLE_RESOLUTION = 512;
/** Keeps the passband edge clear of the transition band. */
const CUTOFF_MARGIN = 0.92;

export class PcmConverter {
  private readonly step: number;
  private readonly halfWidth: number;
  private readonly kernel: Float32Array | null;
  /** Mono input not yet consumed, starting `halfWidth` samples before the next output's centre. */
  private history: Float32Array;
  private position: number;

  constructor(
    readonly inputRate: number,
    readonly channels: 1 | 2,
    readonly outputRate: number,
  ) {
    this.step = inputRate / outputRate;
    if (inputRate === outputRate) {
      this.halfWidth = 0;
      this.kernel = null;
    } else {
      const cutoff = Math.min(1, outputRate / inputRate) * CUTOFF_MARGIN;
      this.halfWidth = Math.ceil(ZERO_CROSSINGS / cutoff);
      this.kernel = buildKernel(cutoff, this.halfWidth);
    }
    this.history = new Float32Array(this.halfWidth);
    this.position = this.halfWidth;
  }

  /** `bytes` holds whole frames of s16le at the input rate and channel count. */
  convert(bytes: Uint8Array): Int16Array {
    const mono = downmix(bytes, this.channels);
    if (!this.kernel) return Int16Array.from(mono, (value) => clamp(Math.round(value)));
    return this.resample(mono);
  }

  private resample(input: Float32Array): Int16Array {
    const buffer = new Float32Array(this.history.length + input.length);
    buffer.set(this.history);
    buffer.set(input, this.history.length);
    const kernel = this.kernel!;
    const halfWidth = this.halfWidth;
    const output: number[] = [];
    let position = this.position;
    while (position + halfWidth < buffer.length) {
      const first = Math.ceil(position - halfWidth);
      const last = Math.floor(position + halfWidth);
      let sum = 0;
      for (let index = Math.max(0, first); index <= last; index++) {
        sum += buffer[index]! * kernel[Math.round((index - position + halfWidth) * TABLE_RESOLUTION)]!;
      }
      output.push(clamp(Math.round(sum)));
      position += this.step;
    }
    const keepFrom = Math.max(0, Math.floor(position - halfWidth));
    this.history = buffer.slice(keepFrom);
    this.position = position - keepFrom;
    return Int16Array.from(output);
  }
}

/** Reads s16le frames as floats, averaging stereo pairs. */
function downmix(bytes: Uint8Array, channels: 1 | 2): Float32Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const frames = Math.floor(bytes.byteLength / (2 * channels));
  const mono = new Float32Array(frames);
  if (channels === 1) {
    for (let frame = 0; frame < frames; frame++) mono[frame] = view.getInt16(frame * 2, true);
  } else {
    for (let frame = 0; frame < frames; frame++) mono[frame] = (view.getInt16(frame * 4, true) + view.getInt16(frame * 4 + 2, true)) / 2;
  }
  return mono;
}

/** A Blackman-windowed sinc low-pass at `cutoff` (a fraction of the input Nyquist frequency), unity gain at DC. */
function buildKernel(cutoff: number, halfWidth: number): Float32Array {
  const table = new Float32Array(2 * halfWidth * TABLE_RESOLUTION + 1);
  for (let entry = 0; entry < table.length; entry++) {
    const offset = entry / TABLE_RESOLUTION - halfWidth;
    const x = Math.PI * cutoff * offset;
    const sinc = offset === 0 ? 1 : Math.sin(x) / x;
    const phase = (Math.PI * (offset + halfWidth)) / halfWidth;
    const window = 0.42 - 0.5 * Math.cos(phase) + 0.08 * Math.cos(2 * phase);
    table[entry] = cutoff * sinc * window;
  }
  return table;
}

const clamp = (value: number) => (value > 32767 ? 32767 : value < -32768 ? -32768 : value);
