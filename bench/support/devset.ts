import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WavDecoder } from '../../src/audio/wav.js';
import { PcmConverter } from '../../src/audio/resample.js';
import { DEFAULT_MODEL_DIR, sphinxModel } from '../../src/daemon/voice/engines/sphinx/addon.js';
import { REPO_ROOT, SHARED_DIR } from '../../test/helpers/paths.js';
import type { Recording } from '../../test/daemon/voice/recordings.js';

/** The development set of issue 22 (bench/data/devset): real public recordings with their published transcripts. */

const MANIFEST = join(REPO_ROOT, 'bench', 'data', 'devset', 'manifest.json');
/**
 * Where the audio may be, in this order: the shared folder (`$CAR_SHARED_DIR/devset`, else
 * `../shared/devset`), else a local copy beside the manifest (git-ignored: the audio is never
 * committed). The first that holds the set's first file is used.
 */
export const DEVSET_AUDIO_DIRS = [join(SHARED_DIR, 'devset'), join(REPO_ROOT, 'bench', 'data', 'devset', 'audio')];

interface ManifestEntry {
  file: string;
  reference: string;
  condition: string;
}

/**
 * The set's recordings as 16 kHz mono s16le, and the directory they were read from; throws,
 * naming every place it looked, when the audio is in none of them or a file is missing.
 */
export function devsetRecordings(): { dir: string; recordings: Recording[] } {
  const { files } = JSON.parse(readFileSync(MANIFEST, 'utf8')) as { files: ManifestEntry[] };
  const dir = DEVSET_AUDIO_DIRS.find((candidate) => existsSync(join(candidate, files[0]!.file)));
  if (!dir)
    throw new Error(`the development set's audio is in none of ${DEVSET_AUDIO_DIRS.join(', ')}; put a copy in one of them (see bench/data/devset/README.md)`);
  const missing = files.filter((entry) => !existsSync(join(dir, entry.file)));
  if (missing.length) throw new Error(`the development set in ${dir} lacks ${missing.map((entry) => entry.file).join(', ')} (see bench/data/devset/README.md)`);
  return { dir, recordings: files.map((entry) => ({ name: entry.file, pcm: readWav16k(join(dir, entry.file)), reference: entry.reference })) };
}

function readWav16k(path: string): Buffer {
  const decoder = new WavDecoder();
  const pcm = decoder.push(readFileSync(path));
  decoder.end();
  const format = decoder.format!;
  if (format.sampleRate === 16000 && format.channels === 1) return pcm;
  const samples = new PcmConverter(format.sampleRate, format.channels, 16000).convert(pcm);
  return Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
}

/**
 * PocketSphinx's own batch decoder (`pocketsphinx_batch`, Debian's pocketsphinx 5prealpha)
 * with its default search, the same model as the daemon, each recording decoded whole as
 * one utterance: the baseline of issue 22. Returns one text per recording. The decoder runs
 * as a child process, so this process goes on meanwhile (a recording played into a sound
 * server in real time keeps its pace).
 */
export async function batchDecode(recordings: Recording[]): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), 'car-batch-'));
  try {
    const ids = recordings.map((recording, index) => {
      writeFileSync(join(dir, `${index}.raw`), recording.pcm);
      return String(index);
    });
    writeFileSync(join(dir, 'ctl'), ids.join('\n') + '\n');
    const model = sphinxModel(DEFAULT_MODEL_DIR);
    const hyp = join(dir, 'hyp');
    const args = ['-adcin', 'yes', '-cepdir', dir, '-cepext', '.raw', '-ctl', join(dir, 'ctl')];
    args.push('-hmm', model.hmmDir, '-lm', model.lmFile, '-dict', model.dictFile, '-hyp', hyp);
    await promisify(execFile)('pocketsphinx_batch', args, { maxBuffer: 64 * 1024 * 1024 }).catch((error: Error) => {
      throw new Error(`pocketsphinx_batch failed (${error.message.split('\n')[0]}); install Debian's pocketsphinx`);
    });
    const texts = new Map<string, string>();
    for (const line of readFileSync(hyp, 'utf8').split('\n')) {
      const match = /^(.*?)\s*\((\d+)(?: -?\d+)?\)$/.exec(line.trim());
      if (match) texts.set(match[2]!, match[1]!);
    }
    return ids.map((id) => texts.get(id) ?? '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
