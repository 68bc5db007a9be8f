import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fuzz } from '../../../chaos/scenarios/r1-fuzz.js';
import { killNine } from '../../../chaos/scenarios/r2-kill.js';
import { vanish } from '../../../chaos/scenarios/r3-vanish.js';
import { preAuth } from '../../../chaos/scenarios/r4-preauth.js';
import { slowReader } from '../../../chaos/scenarios/r5-slow-reader.js';
import { soak } from '../../../chaos/scenarios/r6-soak.js';
import { engineMissing } from '../voice/recordings.js';

/** The quick variant of every `npm run chaos` row (issue 12): the same scenario, smaller counts. */
describe('chaos suite, quick variants', () => {
  for (const scenario of [fuzz, preAuth, slowReader]) {
    it(`${scenario.id} ${scenario.name}`, async () => {
      const row = await scenario.run('quick');
      assert.ok(row.ok, `${row.figure} (bar: ${row.bar})`);
    });
  }
  for (const scenario of [killNine, vanish, soak]) {
    it(`${scenario.id} ${scenario.name}`, { skip: engineMissing }, async () => {
      const row = await scenario.run('quick');
      assert.ok(row.ok, `${row.figure} (bar: ${row.bar})`);
    });
  }
});
