import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempStateRoot } from '../../helpers/paths.js';
import type { CarClient } from '../../../src/client/node.js';
import { encodeVoiceFrame, type VoiceEvent, type VoiceEventParams } from '../../../src/protocol/voice.js';

/** Every `voice.event` a client receives, in arrival order. */
export function collectVoiceEvents(client: CarClient): VoiceEventParams[] {
  const received: VoiceEventParams[] = [];
  client.on('voice.event', (params) => received.push(params));
  return received;
}

export const eventsOf = (received: VoiceEventParams[], sessionId: string): VoiceEvent[] =>
  received.filter((params) => params.session_id === sessionId).map((params) => params.event);

/** Sends `pcm` as ~100 ms binary frames (at `bytesPerSecond`, mono or stereo s16le) with increasing seq from `firstSeq`. */
export function sendFrames(client: CarClient, sessionId: string, pcm: Buffer, bytesPerSecond = 32000, firstSeq = 0): number {
  const chunk = Math.floor(bytesPerSecond / 10 / 4) * 4;
  let seq = firstSeq;
  for (let offset = 0; offset < pcm.length; offset += chunk) client.sendBinary(encodeVoiceFrame(sessionId, seq++, pcm.subarray(offset, offset + chunk)));
  return seq;
}

/** Pushes `pcm` as base64 chunks of `chunkBytes`, awaiting each. */
export async function pushAll(client: CarClient, sessionId: string, pcm: Buffer, chunkBytes = 3200): Promise<void> {
  for (let offset = 0; offset < pcm.length; offset += chunkBytes) {
    await client.call('voice.transcribe_stream.push', { session_id: sessionId, pcm_b64: pcm.subarray(offset, offset + chunkBytes).toString('base64') });
  }
}

export function samplesOf(pcm: Buffer): Int16Array {
  const samples = new Int16Array(pcm.length / 2);
  for (let index = 0; index < samples.length; index++) samples[index] = pcm.readInt16LE(index * 2);
  return samples;
}

export function pcmOf(samples: ArrayLike<number>): Buffer {
  const pcm = Buffer.alloc(samples.length * 2);
  for (let index = 0; index < samples.length; index++) pcm.writeInt16LE(Math.max(-32768, Math.min(32767, Math.round(samples[index]!))), index * 2);
  return pcm;
}

/**
 * 16 kHz mono to another rate by linear interpolation (plus a two-tap average when going
 * down), independent of the daemon's resampler, so a fixture never hides its bugs.
 */
export function changeRate(pcm16k: Buffer, rate: number): Int16Array {
  const original = samplesOf(pcm16k);
  const samples: ArrayLike<number> = rate < 16000 ? Array.from(original, (value, index) => (value + (original[index + 1] ?? value)) / 2) : original;
  const out = new Int16Array(Math.floor((samples.length * rate) / 16000));
  for (let index = 0; index < out.length; index++) {
    const position = (index * 16000) / rate;
    const base = Math.floor(position);
    const next = samples[Math.min(base + 1, samples.length - 1)]!;
    out[index] = Math.round(samples[base]! + (next - samples[base]!) * (position - base));
  }
  return out;
}

/** Interleaves a mono signal into stereo with the right channel at `rightGain` of the left. */
export function toStereo(mono: ArrayLike<number>, rightGain: number): Buffer {
  const stereo = new Float64Array(mono.length * 2);
  for (let index = 0; index < mono.length; index++) {
    stereo[index * 2] = mono[index]!;
    stereo[index * 2 + 1] = mono[index]! * rightGain;
  }
  return pcmOf(stereo);
}

export const textWords = (text: string) => text.toLowerCase().split(/\s+/).filter(Boolean);

/** A speech model directory with every file PocketSphinx looks for, each of them garbage. */
export function corruptSpeechModel(): string {
  const modelDir = join(tempStateRoot('car-bad-model-'), 'en-us');
  mkdirSync(join(modelDir, 'en-us'), { recursive: true });
  writeFileSync(join(modelDir, 'en-us', 'mdef'), 'not a model definition\n');
  writeFileSync(join(modelDir, 'en-us.lm.bin'), 'x');
  writeFileSync(join(modelDir, 'cmudict-en-us.dict'), 'x x\n');
  return modelDir;
}
