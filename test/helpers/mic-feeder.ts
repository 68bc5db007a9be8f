import { openSync, readFileSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';

/**
 * The private sound server's microphone (`module-pipe-source`) reads this process's FIFO:
 * it writes 20 ms of silence at a time, at real-time pace, as a live microphone would, and
 * plays each raw 16 kHz mono s16le file named on stdin in place of the silence, printing
 * `{"startedAt":…,"endedAt":…}` (epoch ms) once the clip has been written. Run as a child
 * so the pace does not depend on the test process's event loop.
 */
const CHUNK_BYTES = 640;
const CHUNK_MS = 20;
const fifo = openSync(process.argv[2]!, 'w');
const silence = Buffer.alloc(CHUNK_BYTES);
const clips: Buffer[] = [];
let playing: { pcm: Buffer; offset: number; startedAt: number } | null = null;

createInterface({ input: process.stdin }).on('line', (path) => clips.push(readFileSync(path)));
process.stdin.on('end', () => process.exit(0));

const origin = performance.now();
let written = 0;
setInterval(() => {
  while (written * CHUNK_MS <= performance.now() - origin) {
    if (!playing && clips.length) playing = { pcm: clips.shift()!, offset: 0, startedAt: Date.now() };
    if (!playing) {
      writeSync(fifo, silence);
    } else {
      const chunk = Buffer.alloc(CHUNK_BYTES);
      playing.pcm.copy(chunk, 0, playing.offset, playing.offset + CHUNK_BYTES);
      writeSync(fifo, chunk);
      playing.offset += CHUNK_BYTES;
      if (playing.offset >= playing.pcm.length) {
        process.stdout.write(JSON.stringify({ startedAt: playing.startedAt, endedAt: Date.now() }) + '\n');
        playing = null;
      }
    }
    written++;
  }
}, 5);
