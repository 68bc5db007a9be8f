import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

/**
 * What a whisper.cpp model file's header says, and which file is the model, with nothing but
 * node:fs, so the CLI's `config set whisper.model` and `models.list` can tell without loading
 * the speech engine.
 */

/** "ggml" as whisper.cpp writes it (a little-endian 0x67676d6c). */
const GGML_MAGIC = 0x67676d6c;
const HEADER_BYTES = 4 + 11 * 4;

/**
 * Checks the header whisper.cpp reads first. A file "holds weights" when it is at least as
 * large as its token embedding (n_vocab × n_text_state) at 4 bits a weight, the smallest
 * quantisation: a real tiny model is ≥ 10 MB by that rule, whisper.cpp's format-only test
 * model (for-tests-ggml-tiny.en.bin, 0.6 MB) is not, though it loads and decodes to "".
 */
export function readHeader(path: string): { real: boolean } | string {
  const header = headerBytes(path);
  if (typeof header === 'string') return header;
  if (header.length < HEADER_BYTES || header.readUInt32LE(0) !== GGML_MAGIC) return 'it does not start with the ggml magic';
  const [nVocab, , , , , , nTextState] = Array.from({ length: 11 }, (_, index) => header.readInt32LE(4 + index * 4));
  if (!(nVocab! > 0 && nTextState! > 0)) return 'its header has no vocabulary or text state size';
  return { real: statSync(path).size >= (nVocab! * nTextState!) / 2 };
}

/** Whether the file is in whisper.cpp's format, sane or not (`models.list` shows a broken one with its error). */
export function hasGgmlMagic(path: string): boolean {
  const header = headerBytes(path);
  return typeof header !== 'string' && header.length >= 4 && header.readUInt32LE(0) === GGML_MAGIC;
}

/** The file's first `HEADER_BYTES` (fewer when it is shorter), or why it cannot be read. */
function headerBytes(path: string): Buffer | string {
  const header = Buffer.alloc(HEADER_BYTES);
  try {
    const fd = openSync(path, 'r');
    try {
      return header.subarray(0, readSync(fd, header, 0, HEADER_BYTES, 0));
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return `it cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
}

/** Why the file is not a whisper.cpp model, or null when it is one. */
export function whisperModelProblem(path: string): string | null {
  const header = readHeader(path);
  return typeof header === 'string' ? header : null;
}

export interface WhisperModelConfig {
  /** `<state root>/models` or `CAR_MODELS_DIR`; null without a state root. */
  modelsDir: string | null;
  /** The `whisper.model` setting: a path, absolute or relative to the models directory. */
  setting: string | null;
}

/** The model file the whisper engine uses, and why, in words `car models ls` prints. */
export interface WhisperModelChoice {
  path: string;
  why: string;
}

/**
 * The one rule for which file is the whisper model, shared by the engine and `models.list`:
 * the `whisper.model` setting, else the first `.bin` by name in the models directory that
 * starts like a whisper.cpp model (ggml magic and a sane header), else a `ggml-*.bin` that
 * does not, so the user hears what is wrong with it.
 */
export function whisperModelChoice({ modelsDir, setting }: WhisperModelConfig): WhisperModelChoice | null {
  if (setting) return { path: isAbsolute(setting) || modelsDir === null ? setting : join(modelsDir, setting), why: 'the `whisper.model` setting' };
  if (modelsDir === null) return null;
  let names: string[];
  try {
    names = readdirSync(modelsDir)
      .filter((name) => name.endsWith('.bin') && !name.startsWith('.'))
      .sort();
  } catch {
    return null;
  }
  const first = names.find((name) => whisperModelProblem(join(modelsDir, name)) === null);
  if (first) return { path: join(modelsDir, first), why: 'the first whisper.cpp model by name in the models directory' };
  // A file named like a whisper.cpp model that is not one is reported, not silently passed over.
  const misnamed = names.find((name) => name.startsWith('ggml-'));
  return misnamed ? { path: join(modelsDir, misnamed), why: 'named like a whisper.cpp model' } : null;
}
