import { randomFillSync } from 'node:crypto';

const pool = Buffer.alloc(4096);
let offset = pool.length;

/**
 * Random lowercase hex for ids (not secrets: tokens draw their own bytes). One getrandom
 * call fills 4 KiB, since a call per id costs microseconds on a VM, on every fact and event.
 */
export function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}
