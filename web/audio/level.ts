/** The quietest level the meter shows; anything below reads as silence. */
const FLOOR_DBFS = -60;

/**
 * The loudness of a chunk of s16le samples for a level meter: its RMS in dBFS mapped
 * linearly from −60 dBFS (0) to full scale (1), so speech sits in the upper half.
 */
export function chunkLevel(samples: Int16Array): number {
  if (samples.length === 0) return 0;
  let sumOfSquares = 0;
  for (const sample of samples) sumOfSquares += sample * sample;
  const rms = Math.sqrt(sumOfSquares / samples.length) / 0x8000;
  if (rms === 0) return 0;
  return Math.min(1, Math.max(0, (20 * Math.log10(rms) - FLOOR_DBFS) / -FLOOR_DBFS));
}
