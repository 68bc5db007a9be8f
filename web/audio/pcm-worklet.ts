// Runs in the AudioWorkletGlobalScope: turns the microphone's float samples into 16 kHz
// mono s16le chunks of 100 ms and posts them to the page, which frames them for the daemon.

declare const sampleRate: number;
declare function registerProcessor(name: string, processor: unknown): void;
declare class AudioWorkletProcessor {
  readonly port: MessagePort;
}

const TARGET_RATE = 16_000;
const CHUNK_SAMPLES = TARGET_RATE / 10;

class PcmChunker extends AudioWorkletProcessor {
  private readonly step = sampleRate / TARGET_RATE;
  private position = 0;
  private chunk = new Int16Array(CHUNK_SAMPLES);
  private filled = 0;

  process(inputs: Float32Array[][]): boolean {
    const channels = inputs[0];
    if (!channels || channels.length === 0) return true;
    const frames = channels[0]!.length;
    // Averages the channels, then picks every step-th sample: the context already runs at
    // 16 kHz where the browser allows it, so this only resamples as a fallback.
    for (; this.position < frames; this.position += this.step) {
      const index = Math.floor(this.position);
      let sum = 0;
      for (const channel of channels) sum += channel[index]!;
      const sample = Math.max(-1, Math.min(1, sum / channels.length));
      this.chunk[this.filled++] = sample < 0 ? sample * 0x8000 : sample * 0x7fff;
      if (this.filled === CHUNK_SAMPLES) {
        this.port.postMessage(this.chunk.buffer, [this.chunk.buffer]);
        this.chunk = new Int16Array(CHUNK_SAMPLES);
        this.filled = 0;
      }
    }
    this.position -= frames;
    return true;
  }
}

registerProcessor('pcm-chunker', PcmChunker);
