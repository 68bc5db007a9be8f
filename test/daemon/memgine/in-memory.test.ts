import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { inMemoryFixture, openInMemory } from '../../helpers/in-memory-channel.js';
import { rejectsWith } from '../../helpers/rpc.js';

/** `memory.*` on a session's private graph, driven through the in-memory channel (no socket, no daemon process). */
describe('memory over the in-memory channel', () => {
  const fixture = inMemoryFixture();

  it('adds, counts, queries, lists and deletes facts on the private graph', async () => {
    const { client } = fixture;
    assert.equal(await client.call('memory.fact_count', {}), 0);
    const tabs = await client.call('memory.add_fact', { subject: 'indentation', body: 'the project indents with two spaces', kind: 'preference' });
    assert.equal(tabs.fact_count, 1);
    const db = await client.call('memory.add_fact', { subject: 'database', body: 'state lives in SQLite via better-sqlite3' });
    assert.equal(db.fact_count, 2);
    assert.notEqual(tabs.id, db.id);
    assert.equal(await client.call('memory.fact_count', {}), 2);

    const hits = await client.call('memory.query', { query: 'SQLite database', k: 1 });
    assert.equal(hits.length, 1);
    assert.equal(hits[0]!.id, db.id);
    assert.equal(hits[0]!.kind, 'pattern');

    const page = await client.call('memory.list', { limit: 1 });
    assert.equal(page.fact_count, 2);
    assert.equal(page.facts.length, 1);
    assert.equal(page.facts[0]!.id, db.id, 'newest first');
    assert.equal(page.facts[0]!.source, 'ws');

    assert.deepEqual(await client.call('memory.delete', { id: tabs.id }), { id: tabs.id, deleted: true, kind: 'preference', fact_count: 1 });
    assert.deepEqual(await client.call('memory.delete', { id: tabs.id }), { id: tabs.id, deleted: false, kind: null, fact_count: 1 });
    assert.deepEqual(
      (await client.call('memory.list', {})).facts.map((fact) => fact.id),
      [db.id],
    );
  });

  it('keeps each session graph private', async () => {
    const other = await openInMemory(fixture.state);
    assert.equal(await other.client.call('memory.fact_count', {}), 0);
    other.client.close();
  });

  it('refuses bad params with -32602 naming the field', async () => {
    const { client } = fixture;
    await rejectsWith(client.request('memory.add_fact', { subject: ' ', body: 'x' }), ErrorCode.InvalidParams, /param 'subject'.*blank/);
    await rejectsWith(
      client.request('memory.add_fact', { subject: 's', body: 'x', kind: 'rumour' }),
      ErrorCode.InvalidParams,
      /param 'kind'.*must be one of pattern/,
    );
    await rejectsWith(client.request('memory.query', { query: 'x', k: 0 }), ErrorCode.InvalidParams, /param 'k'.*at least 1/);
    await rejectsWith(client.request('memory.list', { limit: 1001 }), ErrorCode.InvalidParams, /param 'limit'.*at most 1000/);
    await rejectsWith(client.request('memory.delete', {}), ErrorCode.InvalidParams, /param 'id'/);
    assert.equal(await client.call('memory.fact_count', {}), 1, 'nothing was added by the refused calls');
  });
});
