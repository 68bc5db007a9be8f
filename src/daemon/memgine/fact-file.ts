import { closeSync, fsyncSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { invalidParams, limitExceeded } from '../../protocol/errors.js';
import { describeIssue, factFile } from './fact-schemas.js';
import type { Fact } from './memgine.js';
import { randomHex } from '../ids.js';

/** Bigger files would not fit in one JS string. */
export const MAX_FACT_FILE_BYTES = 256 * 1024 * 1024;
const CHUNK_FACTS = 1000;

/**
 * Writes `{ "version": 1, "facts": [...] }` atomically: a 0600 temp file beside the target,
 * synced, then renamed over it, so a crash leaves the old file or the new one, never half.
 * Facts are written in chunks so a large graph never becomes one giant string.
 */
export function writeFactFile(file: string, facts: readonly Fact[]): void {
  const temp = join(dirname(file), `.${basename(file)}.${randomHex(4)}.tmp`);
  const fd = openSync(temp, 'wx', 0o600);
  try {
    writeSync(fd, '{"version":1,"facts":[');
    for (let start = 0; start < facts.length; start += CHUNK_FACTS) {
      const chunk = facts.slice(start, start + CHUNK_FACTS).map((fact) => JSON.stringify(fact));
      writeSync(fd, (start === 0 ? '\n' : ',\n') + chunk.join(',\n'));
    }
    writeSync(fd, '\n]}\n');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(temp, file);
  } catch (error) {
    try {
      closeSync(fd);
    } catch {
      // already closed
    }
    unlinkSync(temp);
    throw error;
  }
}

/** Reads and validates a fact file; every problem is a `-32602` naming the file and the first bad field, never a fact's content. */
export function readFactFile(file: string, shown: string): Fact[] {
  const size = statSync(file).size;
  if (size > MAX_FACT_FILE_BYTES) {
    throw limitExceeded(
      `memory.load: '${shown}' is ${Math.round(size / 2 ** 20)} MiB, over the ${MAX_FACT_FILE_BYTES / 2 ** 20} MiB limit; split it into smaller files`,
      { field: 'path' },
    );
  }
  const corrupt = (reason: string) =>
    invalidParams(`memory.load: '${shown}' is not a valid fact file (${reason}); the graph was left unchanged`, { field: 'path' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    throw corrupt('it is not valid JSON');
  }
  const checked = factFile.safeParse(parsed);
  if (!checked.success) throw corrupt(describeIssue(checked.error));
  const ids = new Set<string>();
  for (const [index, fact] of checked.data.facts.entries()) {
    if (ids.has(fact.id)) throw corrupt(`facts.${index}.id: '${fact.id}' appears twice`);
    ids.add(fact.id);
  }
  return checked.data.facts.map((fact) => ({ ...fact, constraint: fact.kind === 'constraint', source: 'load' }));
}
