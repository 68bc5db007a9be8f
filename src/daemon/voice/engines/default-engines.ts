import { availableParallelism } from 'node:os';
import { readSetting, type SettingKey } from '../../../settings.js';
import type { SttEngine } from '../stt-engine.js';
import type { EngineOptions } from './engine-record.js';
import { ENGINES } from './engines.js';

export interface DefaultEngineOptions extends EngineOptions {
  /** Where the engines' settings are read; null reads none. */
  stateRoot?: string | null;
}

/** The engines' implementations, loaded once by the daemon side (the CLI reads only the records). */
const factories = await Promise.all(ENGINES.map((engine) => engine.load()));

/** One engine of each record in `ENGINES`, in its order. */
export function defaultEngines(options: DefaultEngineOptions): SttEngine[] {
  const stateRoot = options.stateRoot ?? null;
  const setting = (key: string) => {
    const value = stateRoot === null ? undefined : readSetting(key as SettingKey, stateRoot);
    return typeof value === 'string' && value ? value : null;
  };
  const context = { ...options, cores: Math.min(2, availableParallelism()), setting };
  return factories.map((create) => create(context));
}
