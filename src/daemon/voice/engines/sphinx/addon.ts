import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StreamingDecoder } from './segmenter.js';
import type { Availability } from '../../stt-engine.js';

/** The N-API addon of native/car_sphinx.c. */
interface SphinxAddon {
  create(hmmDir: string, lmFile: string, dictFile: string): DecoderHandle;
  startStream(decoder: DecoderHandle): void;
  decodeUtterance(decoder: DecoderHandle, samples: Int16Array): string | null;
  startUtterance(decoder: DecoderHandle, finalSearch?: boolean): void;
  process(decoder: DecoderHandle, samples: Int16Array): boolean;
  hypothesis(decoder: DecoderHandle): string | null;
  endUtterance(decoder: DecoderHandle): void;
  free(decoder: DecoderHandle): void;
}
type DecoderHandle = { readonly __brand: 'car_sphinx decoder' };

/** Where Debian's `pocketsphinx-en-us` puts the US English model; `CAR_SPHINX_MODEL_DIR` overrides it. */
export const DEFAULT_MODEL_DIR = '/usr/share/pocketsphinx/model/en-us';
const DEBIAN_PACKAGES = 'pocketsphinx pocketsphinx-en-us libpocketsphinx-dev pkg-config';

export interface SphinxModel {
  hmmDir: string;
  lmFile: string;
  dictFile: string;
}

export function sphinxModel(modelDir: string): SphinxModel {
  return { hmmDir: join(modelDir, 'en-us'), lmFile: join(modelDir, 'en-us.lm.bin'), dictFile: join(modelDir, 'cmudict-en-us.dict') };
}

const packageRoot = findPackageRoot();
const ADDON_PATH = join(packageRoot, 'native', 'build', 'Release', 'car_sphinx.node');
const BUILD_HINT = `install the Debian packages (apt-get install ${DEBIAN_PACKAGES}) and run \`npm run install\` in ${packageRoot}, or run scripts/setup.sh`;
let addon: SphinxAddon | undefined;

/**
 * Loads the addon once per thread. A failure is not remembered: it may be passing (no build
 * yet, or no file descriptors left during a connection flood), so the next use retries.
 */
function loadAddon(): SphinxAddon | Error {
  if (addon) return addon;
  if (!existsSync(ADDON_PATH)) return new Error(`the PocketSphinx addon is not built (no ${ADDON_PATH})`);
  try {
    addon = createRequire(import.meta.url)(ADDON_PATH) as SphinxAddon;
    return addon;
  } catch (error) {
    return new Error(`the PocketSphinx addon failed to load (${(error as Error).message.split('\n')[0]})`);
  }
}

/** Whether the local engine can run: the addon built and loadable, and the model files present. */
export function sphinxAvailability(modelDir: string): Availability {
  const loaded = loadAddon();
  if (loaded instanceof Error) return { available: false, reason: loaded.message, hint: BUILD_HINT };
  const model = sphinxModel(modelDir);
  const missing = [join(model.hmmDir, 'mdef'), model.lmFile, model.dictFile].filter((file) => !existsSync(file));
  if (missing.length) {
    return {
      available: false,
      reason: `the PocketSphinx model is missing (${missing.join(', ')})`,
      hint: `install it with apt-get install pocketsphinx-en-us, or point CAR_SPHINX_MODEL_DIR at a directory laid out like ${DEFAULT_MODEL_DIR}`,
    };
  }
  return { available: true };
}

export interface OwnedDecoder extends StreamingDecoder {
  /** Starts a live utterance on the search the finals use, so the bench can set its live result against its full-utterance decode. */
  startUtteranceOnFinalSearch(): void;
  /** Releases the model memory (~120 MB) now rather than at garbage collection. */
  free(): void;
}

/** Loads the model into a new decoder: 0.3-0.7 s of CPU, so never on the daemon's event loop. */
export function createDecoder(model: SphinxModel): OwnedDecoder {
  const loaded = loadAddon();
  if (loaded instanceof Error) throw loaded;
  const handle = loaded.create(model.hmmDir, model.lmFile, model.dictFile);
  return {
    startStream: () => loaded.startStream(handle),
    decodeUtterance: (samples) => loaded.decodeUtterance(handle, samples),
    startUtterance: () => loaded.startUtterance(handle),
    startUtteranceOnFinalSearch: () => loaded.startUtterance(handle, true),
    process: (samples) => loaded.process(handle, samples),
    hypothesis: () => loaded.hypothesis(handle),
    endUtterance: () => loaded.endUtterance(handle),
    free: () => loaded.free(handle),
  };
}

/** The directory holding `native/`, whether this file runs from src/ or dist/src/. */
function findPackageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'native', 'binding.gyp'))) {
    const parent = dirname(dir);
    if (parent === dir) return dirname(fileURLToPath(import.meta.url));
    dir = parent;
  }
  return dir;
}
