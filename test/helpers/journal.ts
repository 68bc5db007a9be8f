import { readFileSync } from 'node:fs';
import type { JournalEvent } from '../../src/daemon/journal/journal.js';

/** Every line of a JSONL file, parsed. */
export const readJsonLines = <T = Record<string, unknown>>(file: string): T[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as T);

/** The journal's events of one kind, oldest first. */
export const journalEvents = (file: string, kind: string): JournalEvent[] => readJsonLines<JournalEvent>(file).filter((event) => event.kind === kind);
