import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { invalidParams } from '../../protocol/errors.js';

/**
 * A caller's meetings `root`, confined to the daemon's state root like `memory.persist`'s
 * sandbox (issue 12, defect 6): symlinks are resolved first, so no root leads to another
 * daemon's meetings or to `/`.
 */
export function confinedMeetingsRoot(stateRoot: string, requested: string): string {
  const realStateRoot = realpathSync(stateRoot);
  let existing = resolve(requested);
  const missing: string[] = [];
  while (!existsSync(existing) && dirname(existing) !== existing) {
    missing.unshift(basename(existing));
    existing = dirname(existing);
  }
  const real = join(realpathSync(existing), ...missing);
  if (real !== realStateRoot && !real.startsWith(realStateRoot + sep)) {
    throw invalidParams(
      `root '${requested.slice(0, 200)}' lies outside this daemon's state root ${stateRoot}; use a directory inside it, or omit root for the daemon's own meetings`,
      { field: 'root' },
    );
  }
  return real;
}
