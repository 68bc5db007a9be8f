import { closeSync, openSync, readFileSync, readSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const POLL_MS = 200;

/** The last `count` lines of `file` and its size when read, or null when it does not exist. */
export function lastLines(file: string, count: number): { text: string; size: number } | null {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch {
    return null;
  }
  const lines = content.toString('utf8').split('\n');
  if (lines.at(-1) === '') lines.pop();
  const tail = count === 0 ? [] : lines.slice(-count);
  return { text: tail.length ? `${tail.join('\n')}\n` : '', size: content.length };
}

/** Hands every byte appended to `file` after `offset` to `write`, until `signal` aborts (Ctrl-C); a truncated file is read from its start. */
export async function followFile(file: string, offset: number, write: (chunk: string) => void, signal: AbortSignal): Promise<void> {
  let position = offset;
  while (!signal.aborted) {
    const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
    if (size < position) position = 0;
    if (size > position) {
      const buffer = Buffer.alloc(size - position);
      const fd = openSync(file, 'r');
      try {
        position += readSync(fd, buffer, 0, buffer.length, position);
      } finally {
        closeSync(fd);
      }
      write(buffer.toString('utf8'));
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
}
