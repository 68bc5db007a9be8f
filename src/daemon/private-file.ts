import { open, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomHex } from './ids.js';

/**
 * Writes `content` to `file` (0600) through a hidden temp file beside it, synced, renamed over
 * it, the directory synced: a reader, or the next start after a crash, sees the old file or the
 * new one, never a part.
 */
export async function writePrivateFileAtomically(file: string, content: string): Promise<void> {
  const temp = join(dirname(file), `.${basename(file)}.${randomHex(4)}.tmp`);
  const handle = await open(temp, 'wx', 0o600);
  try {
    await handle.writeFile(content);
    await handle.sync();
  } catch (error) {
    await handle.close();
    await rm(temp, { force: true });
    throw error;
  }
  await handle.close();
  await rename(temp, file);
  await syncDir(dirname(file));
}

/** Makes a directory's entries (a file created, renamed or removed in it) durable. */
export async function syncDir(dir: string): Promise<void> {
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}
