import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { WavDecoder } from '../../../src/audio/wav.js';
import { DEFAULT_MODEL_DIR, sphinxAvailability } from '../../../src/daemon/voice/engines/sphinx/addon.js';

/** Real recordings with reference transcripts from Debian's `pocketsphinx-testdata`; shared by the voice tests and bench. */

export const TESTDATA = '/usr/share/pocketsphinx/test/data';

export interface Recording {
  name: string;
  /** 16 kHz mono s16le. */
  pcm: Buffer;
  reference: string;
}

/** Why the engine tests cannot run here, or `false` when they can (the "unavailable" paths run either way). */
export const engineMissing: string | false = (() => {
  const availability = sphinxAvailability(DEFAULT_MODEL_DIR);
  if (!availability.available) return `${availability.reason}; ${availability.hint}`;
  try {
    readFileSync(join(TESTDATA, 'goforward.raw'));
    return false;
  } catch {
    return 'the pocketsphinx-testdata package is not installed';
  }
})();

export const goForward = (): Buffer => readFileSync(join(TESTDATA, 'goforward.raw'));
export const GO_FORWARD_WORDS = ['go', 'forward', 'ten', 'meters'];

/** Every recording of the package whose reference transcript it ships (the cards grammar's recordings included). */
export function recordingsWithReferences(): Recording[] {
  const recordings: Recording[] = [
    { name: 'goforward', pcm: goForward(), reference: 'go forward ten meters' },
    { name: 'tidigits/dhd.2934z', pcm: readFileSync(join(TESTDATA, 'tidigits', 'dhd.2934z.raw')), reference: 'two nine three four zero' },
  ];
  for (const [folder, transcription] of [
    ['librivox', 'transcription'],
    ['cards', 'cards.transcription'],
  ] as const) {
    for (const line of readFileSync(join(TESTDATA, folder, transcription), 'utf8').split('\n')) {
      const match = /^<s>(.*)<\/s>\s*\((.+)\)\s*$/.exec(line.trim());
      if (!match) continue;
      recordings.push({
        name: `${folder}/${match[2]}`,
        pcm: readWav(join(TESTDATA, folder, `${match[2]}.wav`)),
        reference: match[1]!.trim().replace(/\s+/g, ' '),
      });
    }
  }
  return recordings;
}

function readWav(path: string): Buffer {
  const decoder = new WavDecoder();
  const pcm = decoder.push(readFileSync(path));
  decoder.end();
  return pcm;
}

/** Word-level edit distance (substitutions + deletions + insertions) and the reference length. */
export function wordErrors(reference: string, hypothesis: string): { errors: number; words: number } {
  const ref = words(reference);
  const hyp = words(hypothesis);
  let previous = Array.from({ length: hyp.length + 1 }, (_, index) => index);
  for (let i = 1; i <= ref.length; i++) {
    const current = [i];
    for (let j = 1; j <= hyp.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (ref[i - 1] === hyp[j - 1] ? 0 : 1));
    previous = current;
  }
  return { errors: previous[hyp.length]!, words: ref.length };
}

const words = (text: string) =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9' ]/g, ' ')
    .split(/\s+/)
    .filter(Boolean);
