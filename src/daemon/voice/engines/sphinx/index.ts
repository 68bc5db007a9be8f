import type { EngineRecord } from '../engine-record.js';

/** CMU PocketSphinx (`local`): its model comes from a Debian package, outside the models directory. */
export const sphinx = {
  provider: 'local',
  settings: [],
  modelFiles: null,
  loadFailures: {},
  async load() {
    const [{ SphinxEngine }, { DEFAULT_MODEL_DIR }] = await Promise.all([import('./engine.js'), import('./addon.js')]);
    return (options) =>
      new SphinxEngine({
        modelDir: options.modelDir ?? DEFAULT_MODEL_DIR,
        workers: options.workers ?? 2 * options.cores,
        idleDecoders: options.idleDecoders ?? options.cores,
        idleMs: options.idleMs ?? 120_000,
      });
  },
} as const satisfies EngineRecord;
