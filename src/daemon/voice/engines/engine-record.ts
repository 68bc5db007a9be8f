import type { SttEngine } from '../stt-engine.js';

/**
 * What a speech engine declares to the rest of car. Each engine folder exports one record
 * from its `index.ts`, and `engines.ts` lists them: settings, `models.list` and the daemon
 * read engines only through these records, never through an engine's own modules.
 */
export interface EngineRecord {
  /** What `options.provider` takes (`voice.providers.list`'s id). */
  readonly provider: string;
  /** The settings it owns, stored with the CLI's (`car config set <key>`). */
  readonly settings: readonly EngineSetting[];
  /** Its model files in the models directory, or null when it keeps its model elsewhere. */
  readonly modelFiles: EngineModelFiles | null;
  /** The kinds of `EngineLoadFailure` its threads throw, each with what the user can do about it. */
  readonly loadFailures: Readonly<Record<string, string>>;
  /**
   * Loads the engine's implementation (worker threads, native addons), which only the daemon
   * does: the CLI reads the declarations above on every start and must not pay for it.
   */
  load(): Promise<(options: EngineContext) => SttEngine>;
}

/** A setting the engine owns; its value is a string. */
export interface EngineSetting {
  readonly key: string;
  readonly description: string;
  /** Why `value` cannot be stored, or null; a relative path names a file in `modelsDir`. */
  problem(value: string, modelsDir: string): string | null;
  /** What to give instead, printed under the problem. */
  hint(modelsDir: string): string;
}

/** The engine's model files, listed by `models.list` beside the `.gguf` models. */
export interface EngineModelFiles {
  /** The role `models.list` gives the file the engine would use (a wire value). */
  readonly role: string;
  /** Files ending so are looked at; those it does not `recognise` are not listed. */
  readonly extension: string;
  recognises(path: string): boolean;
  /** The file the engine would use and why, in words `car models ls` prints; `setting` reads the engine's settings. */
  choose(modelsDir: string | null, setting: (key: string) => string | null): { path: string; why: string } | null;
}

/** What the daemon passes every engine it starts; an engine reads the fields that concern it. */
export interface EngineOptions {
  /** PocketSphinx's model directory (the daemon passes `CAR_SPHINX_MODEL_DIR`); defaults to Debian's. */
  modelDir?: string;
  /** Where model files are looked for (`<state root>/models` or `CAR_MODELS_DIR`). */
  modelsDir?: string | null;
  /**
   * PocketSphinx decoder threads; defaults to two per core (cores counted up to 2), so up to
   * that many streams each have a thread and one stream's full-utterance decode does not hold
   * up another's live pass.
   */
  workers?: number;
  /** Loaded PocketSphinx decoders kept between sessions, in total; defaults to one per core. */
  idleDecoders?: number;
  idleMs?: number;
  /** Whisper worker threads (1) and threads per decode (one per core, at most 2). */
  whisperWorkers?: number;
  whisperDecodeThreads?: number;
}

export interface EngineContext extends EngineOptions {
  /** Cores counted up to 2, the most this daemon plans for. */
  cores: number;
  /** An engine setting's current value (read at each call, so a change takes effect without a restart), or null. */
  setting(key: string): string | null;
}

/**
 * An engine could not load what it needs (a model file, an addon). `kind` is one its record
 * declares, so callers act on the kind, not on the message; it survives the worker thread boundary.
 */
export class EngineLoadFailure extends Error {
  constructor(
    readonly kind: string,
    message: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'EngineLoadFailure';
  }
}
