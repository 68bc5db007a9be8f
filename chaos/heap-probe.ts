import { renameSync, writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Loaded into a daemon under chaos with `--import` (`NODE_OPTIONS` refuses `--expose-gc`):
 * on SIGUSR2 it runs a full garbage collection and writes `process.memoryUsage()` to
 * `CAR_CHAOS_HEAP_FILE`, so a row can tell what the daemon holds from garbage V8 has not
 * collected yet. The daemon itself never handles SIGUSR2.
 */
const file = process.env.CAR_CHAOS_HEAP_FILE;
if (file) {
  setFlagsFromString('--expose-gc');
  const collect = runInNewContext('gc') as () => void;
  process.on('SIGUSR2', () => {
    collect();
    // V8 frees dead array buffers' memory after the collection, on another thread; the second one counts what is left.
    setTimeout(() => {
      collect();
      // Renamed into place, so the reader never sees half a file.
      writeFileSync(`${file}.part`, JSON.stringify(process.memoryUsage()));
      renameSync(`${file}.part`, file);
    }, 200);
  });
}
