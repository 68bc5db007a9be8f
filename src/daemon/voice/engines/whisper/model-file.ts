import { closeSync, openSync, readSync, statSync } from 'node:fs';

/**
 * What a whisper.cpp model file's header says, with nothing but node:fs, so the CLI's
 * `config set whisper.model` can check a file without loading the speech engine.
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
  const header = Buffer.alloc(HEADER_BYTES);
  let read: number;
  try {
    const fd = openSync(path, 'r');
    try {
      read = readSync(fd, header, 0, HEADER_BYTES, 0);
    } finally {
      closeSync(fd);
    }
  } catch (error) {
    return `it cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`;
  }
  if (read < HEADER_BYTES || header.readUInt32LE(0) !== GGML_MAGIC) return 'it does not start with the ggml magic';
  const [nVocab, , , , , , nTextState] = Array.from({ length: 11 }, (_, index) => header.readInt32LE(4 + index * 4));
  if (!(nVocab! > 0 && nTextState! > 0)) return 'its header has no vocabulary or text state size';
  return { real: statSync(path).size >= (nVocab! * nTextState!) / 2 };
}

/** Why the file is not a whisper.cpp model, or null when it is one. */
export function whisperModelProblem(path: string): string | null {
  const header = readHeader(path);
  return typeof header === 'string' ? header : null;
}
