import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rejectsWith } from '../../helpers/rpc.js';

/** Facts, queries and context (docs/protocol.md#namespace-memory) through a real daemon served in-process, on its real SQLite file. */
describe('memory facts, query and context (docs/protocol.md#namespace-memory)', () => {
  let daemon: InProcessDaemon;
  let nextNamespace = 0;
  const fresh = () => daemon.connect({ memoryNamespace: `facts-${++nextNamespace}` });

  before(async () => {
    daemon = await startInProcess();
  });
  after(async () => {
    await daemon.close();
  });

  it('ranks a fact holding every query word above facts holding only some, however often they repeat them', async () => {
    const client = await fresh();
    const { id: both } = await client.call('memory.add_fact', { subject: 'garden', body: 'the zebra ate an apple in the long grass by the fence' });
    await client.call('memory.add_fact', { subject: 'zebra', body: 'zebra zebra zebra' });
    for (let i = 0; i < 5; i++) await client.call('memory.add_fact', { subject: `fruit ${i}`, body: `apple number ${i}` });
    const hits = await client.call('memory.query', { query: 'Zebra apple', k: 10 });
    assert.equal(hits[0]?.id, both);
    assert.equal(hits.length, 7);
    assert.ok(hits.every((hit, i) => i === 0 || hit.id !== both));
    assert.deepEqual(Object.keys(hits[0]!).sort(), ['body', 'confidence', 'id', 'kind', 'score', 'subject']);
    client.close();
  });

  it('breaks score ties by recency and honours k', async () => {
    const client = await fresh();
    const older = await client.call('memory.add_fact', { subject: 'one', body: 'identical wording here' });
    const newer = await client.call('memory.add_fact', { subject: 'two', body: 'identical wording here' });
    const hits = await client.call('memory.query', { query: 'identical wording' });
    assert.deepEqual(
      hits.map((hit) => hit.id),
      [newer.id, older.id],
    );
    assert.equal(hits[0]!.score, hits[1]!.score);
    assert.deepEqual(
      (await client.call('memory.query', { query: 'identical', k: 1 })).map((hit) => hit.id),
      [newer.id],
    );
    client.close();
  });

  it('does not duplicate an identical fact, but a different kind is a different fact', async () => {
    const client = await fresh();
    const first = await client.call('memory.add_fact', { subject: 'tea', body: 'Bob likes green tea' });
    const again = await client.call('memory.add_fact', { subject: 'tea', body: 'Bob likes green tea', kind: 'pattern' });
    assert.deepEqual(again, first);
    const preference = await client.call('memory.add_fact', { subject: 'tea', body: 'Bob likes green tea', kind: 'preference' });
    assert.notEqual(preference.id, first.id);
    assert.equal(preference.fact_count, 2);
    client.close();
  });

  it('deletes by id idempotently with the upstream result shape', async () => {
    const client = await fresh();
    const { id } = await client.call('memory.add_fact', { subject: 'rule', body: 'answer briefly', kind: 'constraint' });
    await client.call('memory.add_fact', { subject: 'other', body: 'stays' });
    assert.deepEqual(await client.call('memory.delete', { id }), { id, deleted: true, kind: 'constraint', fact_count: 1 });
    assert.deepEqual(await client.call('memory.delete', { id }), { id, deleted: false, kind: null, fact_count: 1 });
    assert.deepEqual(await client.call('memory.delete', { id: 'ws-000000000000' }), { id: 'ws-000000000000', deleted: false, kind: null, fact_count: 1 });
    assert.deepEqual(await client.call('memory.query', { query: 'briefly' }), []);
    client.close();
  });

  it('refuses bad input with -32602 naming the field, and stores nothing', async () => {
    const client = await fresh();
    const cases: [string, unknown, RegExp][] = [
      ['memory.add_fact', { subject: 'x'.repeat(513), body: 'b' }, /param 'subject' for memory\.add_fact: must be at most 512 characters/],
      ['memory.add_fact', { subject: 's', body: 'é'.repeat(8193) }, /param 'body' for memory\.add_fact: must be at most 16 KiB/],
      ['memory.add_fact', { subject: '', body: 'b' }, /param 'subject' .*must not be empty/],
      ['memory.add_fact', { subject: 's', body: '  \n ' }, /param 'body' .*must not be blank/],
      ['memory.add_fact', { subject: 's', body: 'b', kind: 'rumour' }, /param 'kind' .*must be one of pattern, constraint, fact, preference, conversation/],
      ['memory.add_fact', { subject: 's', body: 'b', id: 'mine' }, /unknown param 'id' for memory\.add_fact; allowed: subject, body, kind/],
      ['memory.query', { query: '' }, /param 'query' for memory\.query: must not be empty/],
      ['memory.query', { query: '?!… —' }, /the query has no words to search for/],
      ['memory.query', { query: 'x', k: 0 }, /param 'k' .*at least 1/],
      ['memory.query', { query: 'x', k: 101 }, /param 'k' .*at most 100/],
      ['memory.query', { query: 'x', k: 2.5 }, /param 'k' .*whole number/],
      ['memory.delete', {}, /param 'id' .*missing/],
      ['memory.build_context', { query: 'x', model_context_window: 0 }, /model_context_window/],
      ['memory.fact_count', { extra: true }, /unknown param 'extra'/],
    ];
    for (const [method, params, message] of cases) await rejectsWith(client.request(method, params), -32602, message);
    assert.equal(await client.call('memory.fact_count', {}), 0);
    assert.equal(await client.request('memory.fact_count', null), 0, 'null params are accepted');
    client.close();
  });

  it('accepts a body of exactly 16 KiB and a subject of exactly 512 characters', async () => {
    const client = await fresh();
    const added = await client.call('memory.add_fact', { subject: 's'.repeat(512), body: 'b'.repeat(16 * 1024) });
    assert.equal(added.fact_count, 1);
    client.close();
  });

  it('builds context as Constraints, Facts and Conversation within the token budget', async () => {
    const client = await fresh();
    await client.call('memory.add_fact', { subject: 'language', body: 'always answer in English', kind: 'constraint' });
    await client.call('memory.add_fact', { subject: 'deploys', body: 'the deploy pipeline runs at noon', kind: 'fact' });
    await client.call('memory.add_fact', { subject: 'deploys', body: 'the deploy pipeline is slow on Mondays', kind: 'pattern' });
    await client.call('memory.add_fact', { subject: 'standup', body: 'we said the deploy pipeline needs a cache', kind: 'conversation' });
    await client.call('memory.add_fact', { subject: 'unrelated', body: 'lunch is at one' });

    const context = await client.call('memory.build_context', { query: 'deploy pipeline' });
    const sections = context.split('\n\n');
    assert.deepEqual(
      sections.map((section) => section.split('\n')[0]),
      ['## Constraints', '## Facts', '## Conversation'],
    );
    assert.match(sections[0]!, /- language: always answer in English/);
    assert.equal(sections[1]!.split('\n').length, 3, 'both deploy facts, no conversation, no constraint, nothing unrelated');
    assert.match(sections[2]!, /- standup: we said the deploy pipeline needs a cache/);

    const nothingMatches = await client.call('memory.build_context', { query: 'weather' });
    assert.equal(nothingMatches, '## Constraints\n- language: always answer in English', 'empty sections are omitted');

    // 2 × 4 chars per token × 20 tokens = 80 characters: constraints survive, lower sections go first.
    const tight = await client.call('memory.build_context', { query: 'deploy pipeline', model_context_window: 40 });
    assert.ok(tight.length <= 80, `${tight.length} characters`);
    assert.equal(tight, '## Constraints\n- language: always answer in English');
    client.close();
  });

  it('lets inference build context for a session through state.memory', async () => {
    const client = await fresh();
    await client.call('memory.add_fact', { subject: 'pets', body: 'the cat is called Miso' });
    const session = [...daemon.state.sessions.values()].find((s) => s.memoryNamespace === `facts-${nextNamespace}`)!;
    assert.match(daemon.state.memory.buildContext(session, 'cat name'), /## Facts\n- pets: the cat is called Miso/);
    client.close();
  });
});
