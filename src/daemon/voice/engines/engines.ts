import { sphinx } from './sphinx/index.js';
import { whisper } from './whisper/index.js';

/**
 * Every speech engine, in the order `voice.providers.list` shows them (the first available is
 * the fallback default). The only place naming the engine folders: an engine is a folder
 * exporting an `EngineRecord` from its `index.ts`, and a line here.
 */
export const ENGINES = [sphinx, whisper] as const;

/** The settings the engines own, keyed like the CLI's own settings. */
export const ENGINE_SETTINGS = ENGINES.flatMap((engine) => engine.settings);
export type EngineSettingKey = (typeof ENGINES)[number]['settings'][number]['key'];
