/**
 * A guess at whether raw audio sent as 16 kHz really is 16 kHz, from the pitch of its
 * voiced frames (people speak at 70-300 Hz) and from how smooth its louder frames are
 * (speech at 16 kHz has a lag-1 correlation below ~0.97). Audio recorded at 8 kHz and sent
 * as 16 kHz plays twice as fast, an octave up; audio recorded at 44.1 or 48 kHz plays ~3×
 * slower, so its waveform is smoother and its pitch often below any voice.
 * The bounds come from the pocketsphinx test recordings played at right and wrong rates
 * (see docs/decisions.md).
 */

const RATE = 16000;
const FRAME = 640;
const HOP = 320;
const MIN_LAG = Math.floor(RATE / 900);
const MAX_LAG = Math.ceil(RATE / 35);
/** A frame is voiced when it correlates this well with itself one pitch period later. */
const VOICED_CORRELATION = 0.6;
/** Median pitch outside these bounds is not a human voice at the claimed rate. */
export const LOWEST_SPEECH_PITCH_HZ = 60;
export const HIGHEST_SPEECH_PITCH_HZ = 330;
const MIN_VOICED_FRAMES = 25;
/** Lag-1 correlation of the louder half of the frames above which audio is too smooth for 16 kHz speech. */
const SMOOTHEST_SPEECH = 0.978;

export type RateVerdict = 'plausible' | 'too-high' | 'too-low' | 'no-voice';

export function judgeSpeechRate(samples: Int16Array): { verdict: RateVerdict; pitchHz: number } {
  const pitches: number[] = [];
  for (let start = 0; start + FRAME + MAX_LAG <= samples.length; start += HOP) {
    const pitch = framePitch(samples, start);
    if (pitch !== null) pitches.push(pitch);
  }
  if (pitches.length < MIN_VOICED_FRAMES) return { verdict: 'no-voice', pitchHz: NaN };
  const pitchHz = pitches.sort((a, b) => a - b)[Math.floor(pitches.length / 2)]!;
  if (pitchHz > HIGHEST_SPEECH_PITCH_HZ) return { verdict: 'too-high', pitchHz };
  if (pitchHz < LOWEST_SPEECH_PITCH_HZ || smoothness(samples) > SMOOTHEST_SPEECH) return { verdict: 'too-low', pitchHz };
  return { verdict: 'plausible', pitchHz };
}

/** Lag-1 autocorrelation over the louder half of the frames. */
function smoothness(samples: Int16Array): number {
  const frames: { energy: number; lagged: number }[] = [];
  for (let start = 0; start + FRAME <= samples.length; start += FRAME) {
    let energy = 0;
    let lagged = 0;
    for (let index = start + 1; index < start + FRAME; index++) {
      energy += samples[index]! * samples[index]!;
      lagged += samples[index]! * samples[index - 1]!;
    }
    frames.push({ energy, lagged });
  }
  const loud = frames.sort((a, b) => b.energy - a.energy).slice(0, Math.ceil(frames.length / 2));
  return loud.reduce((sum, frame) => sum + frame.lagged, 0) / (loud.reduce((sum, frame) => sum + frame.energy, 0) || 1);
}

/** The frame's pitch by normalised autocorrelation (the shortest period close to the best, against octave errors), or null when unvoiced or silent. */
function framePitch(samples: Int16Array, start: number): number | null {
  const energy = (from: number) => {
    let sum = 0;
    for (let index = from; index < from + FRAME; index++) sum += samples[index]! * samples[index]!;
    return sum;
  };
  const own = energy(start);
  if (own / FRAME < 1e4) return null;
  const correlations = new Float64Array(MAX_LAG + 1);
  let best = 0;
  for (let lag = MIN_LAG; lag <= MAX_LAG; lag++) {
    let sum = 0;
    for (let index = start; index < start + FRAME; index++) sum += samples[index]! * samples[index + lag]!;
    correlations[lag] = sum / Math.sqrt(own * energy(start + lag) || 1);
    best = Math.max(best, correlations[lag]!);
  }
  if (best < VOICED_CORRELATION) return null;
  for (let lag = MIN_LAG + 1; lag < MAX_LAG; lag++) {
    const peak = correlations[lag]! >= correlations[lag - 1]! && correlations[lag]! >= correlations[lag + 1]!;
    if (peak && correlations[lag]! >= 0.9 * best) return RATE / lag;
  }
  return null;
}
