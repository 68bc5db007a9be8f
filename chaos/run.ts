import { formatTable, type ChaosRow, type ChaosScenario } from './harness.js';
import { fuzz } from './scenarios/r1-fuzz.js';
import { killNine } from './scenarios/r2-kill.js';
import { vanish } from './scenarios/r3-vanish.js';
import { preAuth } from './scenarios/r4-preauth.js';
import { slowReader } from './scenarios/r5-slow-reader.js';
import { longSoak, soak } from './scenarios/r6-soak.js';
import { lockOut } from './scenarios/r7-lockout.js';
import { failedSignIns } from './scenarios/r8-failed-sign-ins.js';
import { preAuthMemory } from './scenarios/r9-preauth-memory.js';
import { fullDisk } from './scenarios/r10-full-disk.js';

/**
 * `npm run chaos [R1 …]`: the issue 12 and 26 chaos suite against real daemon processes on
 * loopback, one scenario after another; every loop is bounded in count and time, so the
 * whole run stays under ten minutes. `npm run chaos -- --long` runs the 30-minute soak
 * (R6L) instead, not in CI. Exits non-zero when a row misses its bar.
 */
export const SCENARIOS: ChaosScenario[] = [fuzz, killNine, vanish, preAuth, slowReader, soak, lockOut, failedSignIns, preAuthMemory, fullDisk];

const args = process.argv.slice(2);
const long = args.includes('--long');
const wanted = long ? ['R6L'] : args;
const rows: ChaosRow[] = [];
for (const scenario of long ? [longSoak] : SCENARIOS) {
  if (wanted.length && !wanted.includes(scenario.id)) continue;
  process.stderr.write(`running chaos ${scenario.id} (${scenario.name})…\n`);
  const started = Date.now();
  rows.push(
    await scenario
      .run('full')
      .catch((error: Error) => ({ id: scenario.id, scenario: scenario.name, figure: `failed: ${error.message}`, bar: 'runs to the end', ok: false })),
  );
  process.stderr.write(`  ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}
process.stdout.write(formatTable(rows));
const missed = rows.filter((row) => !row.ok).length;
process.stdout.write(`${missed === 0 ? 'all bars met' : `${missed} bar(s) missed`}\n`);
process.exitCode = missed === 0 ? 0 : 1;
