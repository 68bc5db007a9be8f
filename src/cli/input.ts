import { readFileSync } from 'node:fs';
import { CarError } from '../errors.js';

/** A text argument that names a file, or `-` for stdin (`car surfaces apply -`, `car infer -`). */
export function readInput(path: string, hint: string): { text: string; name: string } {
  const name = path === '-' ? 'stdin' : path;
  try {
    return { text: readFileSync(path === '-' ? 0 : path, 'utf8'), name };
  } catch (error) {
    throw new CarError(`cannot read ${name}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, hint);
  }
}
