import { readdirSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';

/** The journal's own file names (docs/protocol.md#journal); other files in the directory are never touched. */
const JOURNAL_FILE = /^\d{8}T\d{6}Z-\d+(-\d+)?\.jsonl$/;

/**
 * Deletes the oldest journal files (by modification time) until those in `dir` total at most
 * `keepBytes`; `current`, the file being written, always stays. Returns the files removed.
 * Best effort: a file that cannot be read or removed is skipped.
 */
export function pruneJournals(dir: string, keepBytes: number, current: string): string[] {
  let files: { path: string; size: number; mtimeMs: number }[] = [];
  try {
    for (const name of readdirSync(dir)) {
      if (!JOURNAL_FILE.test(name)) continue;
      const path = join(dir, name);
      try {
        const stat = statSync(path);
        if (stat.isFile()) files.push({ path, size: stat.size, mtimeMs: stat.mtimeMs });
      } catch {
        // Gone meanwhile.
      }
    }
  } catch {
    return [];
  }
  let total = files.reduce((sum, file) => sum + file.size, 0);
  files = files.filter((file) => resolve(file.path) !== resolve(current)).sort((a, b) => a.mtimeMs - b.mtimeMs || a.path.localeCompare(b.path));
  const removed: string[] = [];
  for (const file of files) {
    if (total <= keepBytes) break;
    try {
      rmSync(file.path);
      total -= file.size;
      removed.push(file.path);
    } catch {
      // Not ours to remove (permissions) or gone: leave it.
    }
  }
  return removed;
}
