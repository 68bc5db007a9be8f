import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { invalidParams, notFound } from '../../protocol/errors.js';

export type SandboxMethod = 'memory.persist' | 'memory.load';

export interface SandboxFile {
  /** The real path to read or write, symlinks resolved. */
  file: string;
  /** The path relative to the sandbox, for results, logs and the journal. */
  shown: string;
}

/**
 * Confines `memory.persist` / `memory.load` paths to the sandbox directory (docs/protocol.md#memory-persist): relative
 * paths resolve inside it, absolute ones must already point inside it, `..` segments are
 * refused outright and every symlink is resolved before the containment check.
 */
export function resolveSandboxFile(sandbox: string, requested: string, method: SandboxMethod): SandboxFile {
  const refuse = (reason: string) =>
    invalidParams(`${method} rejected path '${shorten(requested)}': ${reason}; use a file name inside ${sandbox}`, { field: 'path' });
  const root = realpathSync(sandbox);

  if (requested.split(/[\\/]/).includes('..')) throw refuse("'..' segments are not allowed");
  const lexical = isAbsolute(requested) ? resolve(requested) : resolve(root, requested);
  if (lexical === root || lexical === resolve(sandbox)) throw refuse('it is the sandbox directory itself, not a file');
  if (isAbsolute(requested) && !isInside(resolve(sandbox), lexical) && !isInside(root, lexical))
    throw refuse('absolute paths must lie inside the memory sandbox');

  let parent: string;
  try {
    parent = realpathSync(dirname(lexical));
  } catch {
    throw notFound(`${method}: directory '${shorten(dirname(requested))}' does not exist in the memory sandbox; create it first or use a plain file name`, {
      field: 'path',
    });
  }
  if (!isInside(root, parent) && parent !== root) throw refuse('it leads outside the memory sandbox');

  let file = join(parent, basename(lexical));
  const link = lstatOrNull(file);
  if (link?.isSymbolicLink()) {
    try {
      file = realpathSync(file);
    } catch {
      throw refuse('it is a symlink to nothing');
    }
    if (!isInside(root, file)) throw refuse('it is a symlink that leads outside the memory sandbox');
  }
  const target = link ? statSync(file) : null;
  if (file === root || target?.isDirectory()) throw refuse('it is a directory, not a file');
  if (target && !target.isFile()) throw refuse('it is not a regular file');
  if (!target && method === 'memory.load') {
    throw notFound(`memory.load: no fact file '${shorten(requested)}' in the memory sandbox; write one with memory.persist first`, { field: 'path' });
  }
  return { file, shown: relative(root, file) };
}

const isInside = (root: string, path: string) => path.startsWith(root.endsWith(sep) ? root : root + sep);

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

const shorten = (path: string) => (path.length > 200 ? `${path.slice(0, 200)}…` : path);
