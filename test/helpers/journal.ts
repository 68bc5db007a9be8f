import { readFileSync } from 'node:fs';
import type { Journal, JournalEvent } from '../../src/daemon/journal/journal.js';

/** Every line of a JSONL file, parsed. */
export const readJsonLines = <T = Record<string, unknown>>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

/**
 * The journal's events (of one kind, when given), oldest first. Given the in-process journal, it is flushed
 * first: most kinds wait up to a second before they are written, which a test must not race.
 */
export function journalEvents(source: Journal | string, kind?: string): JournalEvent[] {
  if (typeof source !== 'string') source.flush();
  const file = typeof source === 'string' ? source : source.file;
  return readJsonLines<JournalEvent>(file).filter((event) => kind === undefined || event.kind === kind);
}
