import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { parseEnvelopeFile } from '../../../src/cli/surfaces.js';
import { replayJournal } from '../../../src/daemon/journal/replay.js';
import { childComponentIds, type A2uiApplyResult, type A2uiSurface } from '../../../src/protocol/a2ui.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { fixture } from './helpers.js';

/** Every component a surface refers to exists, and the record is what its envelopes describe. */
function assertConsistent(surface: A2uiSurface): void {
  for (const [id, component] of Object.entries(surface.components)) {
    assert.equal(component.id, id);
    for (const child of childComponentIds(component)) assert.ok(surface.components[child], `${id} refers to missing ${child}`);
  }
  assert.ok(Date.parse(surface.expiresAt) > Date.parse(surface.updatedAt));
  assert.ok(Date.parse(surface.updatedAt) >= Date.parse(surface.createdAt));
}

describe('A2UI v0.9 sample messages', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  before(async () => {
    daemon = await startInProcess();
    client = await daemon.connect();
  });
  after(async () => {
    await daemon.close();
  });

  async function applyAll(name: string): Promise<A2uiApplyResult[]> {
    const results: A2uiApplyResult[] = [];
    for (const envelope of parseEnvelopeFile(fixture(name), name)) results.push(await client.call('a2ui.apply', { envelope }));
    return results;
  }

  it('booking-form.jsonl: a form bound to its data model, edited and trimmed', async () => {
    const results = await applyAll('booking-form.jsonl');
    assert.deepEqual(
      results.map((r) => r.surface?.revision),
      [1, 2, 3, 4, 5, 6, 7],
    );
    const surface = (await client.call('a2ui.get', { surfaceId: 'table-booking' }))!;
    assert.deepEqual(surface, results.at(-1)!.surface);
    assertConsistent(surface);
    assert.equal(surface.catalogId, 'https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json');
    assert.deepEqual(surface.theme, { primaryColor: '#2f6f4f' });
    assert.equal(surface.sendDataModel, true);
    assert.deepEqual(Object.keys(surface.components).sort(), [
      'book',
      'book-label',
      'divider',
      'form',
      'guest-email',
      'guest-name',
      'guest-row',
      'party',
      'root',
      'seating',
      'title',
      'when',
    ]);
    assert.deepEqual(surface.components['guest-name']!.value, { path: '/guest/name' });
    assert.deepEqual(surface.dataModel, {
      guest: { name: 'Ada Lovelace', email: '' },
      booking: { when: '2026-05-02T19:30:00Z', party: 2, seating: ['inside', 'terrace'], window: false },
    });
  });

  it('order-summary.json: a gallery-format sample with templates, calls, tabs and a modal', async () => {
    const results = await applyAll('order-summary.json');
    assert.equal(results.length, 3);
    const surface = (await client.call('a2ui.get', { surfaceId: 'order-7' }))!;
    assertConsistent(surface);
    assert.equal(surface.catalogId, 'basic');
    assert.equal(Object.keys(surface.components).length, 13);
    assert.deepEqual(surface.components.items!.children, { componentId: 'item-row', path: '/lines' });
    assert.deepEqual((surface.dataModel.lines as unknown[]).length, 2);
    assert.equal(surface.revision, 3);
  });

  it('earlier-draft.jsonl: envelopes without version and the older catalog id, then deleted', async () => {
    const results = await applyAll('earlier-draft.jsonl');
    assert.deepEqual(
      results.map((r) => [r.deleted, r.surface?.revision ?? null]),
      [
        [false, 1],
        [false, 2],
        [false, 3],
        [true, null],
      ],
    );
    assertConsistent(results[2]!.surface!);
    assert.equal(await client.call('a2ui.get', { surfaceId: 'feedback' }), null);
  });

  it('the journal replays to the same surfaces', async () => {
    daemon.state.journal.flush();
    const replayed = replayJournal(daemon.state.journal.file).a2ui.surfaces;
    const live = await client.call('a2ui.surfaces', {});
    assert.deepEqual(
      replayed.map((s) => [s.surfaceId, s.catalogId, s.components, s.revision]).sort(),
      live.map((s) => [s.surfaceId, s.catalogId, Object.keys(s.components).length, s.revision]).sort(),
    );
  });
});
