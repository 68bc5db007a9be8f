import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CarClient } from '../../../src/client/node.js';
import { MemoryStore } from '../../../src/daemon/memgine/memory-store.js';
import type { CallContext } from '../../../src/daemon/rpc/method-table.js';
import { serve } from '../../../src/daemon/server/ws-server.js';
import type { ClientSession } from '../../../src/daemon/sessions/client-session.js';
import { ServerState } from '../../../src/daemon/state/server-state.js';
import { ErrorCode, RpcError } from '../../../src/protocol/errors.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

const serverSession = (daemon: InProcessDaemon, predicate: (session: ClientSession) => boolean) => [...daemon.state.sessions.values()].find(predicate)!;

/** Memory graphs for embedders (docs/protocol.md#memory-graphs): one shared engine, the approval gate on loads into it, no state root. */
describe('embedded memory (docs/protocol.md#memory-graphs, docs/protocol.md#approval-gate)', () => {
  let store: MemoryStore;
  let daemon: InProcessDaemon;
  const approvalsAsked: string[] = [];

  before(async () => {
    store = MemoryStore.open(join(tempStateRoot('car-embedder-'), 'shared.sqlite'));
    daemon = await startInProcess({ sharedMemgine: store.graph('shared') });
    // The embedder's own gate policy: every approval it is asked for is denied.
    daemon.state.approvalGate = {
      enabled: true,
      covers: () => false,
      async awaitApproval(method: string, _params: unknown, _ctx: CallContext) {
        approvalsAsked.push(method);
        throw new RpcError(ErrorCode.ApprovalDenied, `approval denied for ${method}`);
      },
    };
  });
  after(async () => {
    await daemon.close();
    store.close();
  });

  it('shares the embedder engine between every connection without a namespace', async () => {
    const first = await daemon.connect();
    const second = await daemon.connect();
    const { id } = await first.call('memory.add_fact', { subject: 'shared', body: 'visible to every connection' });
    assert.equal((await second.call('memory.query', { query: 'visible connection' }))[0]?.id, id);
    assert.equal(store.graph('shared').factCount(), 1, 'the fact lives in the embedder engine');
    const { sessions } = await second.call('sessions.list', {});
    assert.deepEqual(sessions.find((s) => s.is_self)?.memory, { scope: 'shared', namespace: null });

    const namespaced = await daemon.connect({ memoryNamespace: 'own' });
    assert.equal(await namespaced.call('memory.fact_count', {}), 0, 'a namespace beats the shared engine');
    for (const client of [first, second, namespaced]) client.close();
  });

  it('sends memory.load into the shared graph through the approval gate, and nothing else', async () => {
    const client = await daemon.connect();
    await client.call('memory.persist', { path: 'shared.json' });
    const before = store.graph('shared').factCount();
    await rejectsWith(client.call('memory.load', { path: 'shared.json' }), -32003, /approval denied for memory\.load/);
    assert.deepEqual(approvalsAsked, ['memory.load']);
    assert.equal(store.graph('shared').factCount(), before);

    await client.call('memory.add_fact', { subject: 'not gated', body: 'adding to the shared graph needs no approval' });
    const namespaced = await daemon.connect({ memoryNamespace: 'loader' });
    assert.equal(await namespaced.call('memory.load', { path: 'shared.json' }), before);
    assert.deepEqual(approvalsAsked, ['memory.load'], 'loads into a namespace are not gated');
    client.close();
    namespaced.close();
  });

  it('feeds other capabilities through ingest, never throwing', async () => {
    const client = await daemon.connect({ memoryNamespace: 'meetings' });
    const session = serverSession(daemon, (s) => s.memoryNamespace === 'meetings');
    const result = daemon.state.memory.ingest(session, [
      { id: 'mtg-m1-0', subject: 'meeting m1: planning', body: 'we agreed to ship on Thursday' },
      { id: 'mtg-m1-1', subject: 'meeting m1: planning', body: '' },
      { id: 'mtg-m1-2', subject: 'meeting m1: planning', body: 'the demo needs a projector' },
    ]);
    assert.equal(result.ingested, 2);
    assert.match(result.error ?? '', /fact 1: body: must not be empty/);
    const hits = await client.call('memory.query', { query: 'ship thursday' });
    assert.deepEqual(
      hits.map(({ id, kind, confidence }) => ({ id, kind, confidence })),
      [{ id: 'mtg-m1-0', kind: 'conversation', confidence: 0.8 }],
    );
    assert.match(daemon.state.memory.buildContext(session, 'demo projector'), /## Conversation\n- meeting m1: planning: the demo needs a projector/);
    assert.deepEqual(daemon.state.memory.ingest(session, [{ id: 'mtg-m1-0', subject: 'meeting m1: planning', body: 'we agreed to ship on Thursday' }]), {
      ingested: 1,
    });
    const clash = daemon.state.memory.ingest(session, [{ id: 'mtg-m1-0', subject: 'meeting m1: planning', body: 'something else entirely' }]);
    assert.equal(clash.ingested, 0);
    assert.match(clash.error ?? '', /fact id 'mtg-m1-0' is already used by a different fact/);
    assert.doesNotMatch(clash.error ?? '', /something else/);
    client.close();
  });

  it('drops a standalone private graph when the session goes, and refuses to revive it', async () => {
    const plain = await startInProcess();
    try {
      const client = await plain.connect();
      await client.call('memory.add_fact', { subject: 'ephemeral', body: 'gone with the session' });
      const session = serverSession(plain, () => true);
      const engine = plain.state.memory.engineFor(session);
      assert.equal(engine.factCount(), 1);
      await client.closeAndWait();
      await waitFor(() => plain.state.sessions.size === 0, 'the session to be removed');
      assert.equal(engine.factCount(), 0, 'its facts were deleted from the private store');
      assert.deepEqual(plain.state.memory.ingest(session, [{ subject: 'late', body: 'after teardown' }]).ingested, 0);
      assert.throws(() => plain.state.memory.engineFor(session), /has ended/);
    } finally {
      await plain.close();
    }
  });

  it('answers -32014 for namespaces when memory.sqlite is not a database, and leaves the file alone', async () => {
    const stateRoot = tempStateRoot();
    mkdirSync(join(stateRoot, 'db'));
    const file = join(stateRoot, 'db', 'memory.sqlite');
    writeFileSync(file, 'this is not an SQLite database, and it must not be overwritten');
    const broken = await startInProcess({ stateRoot });
    try {
      const client = await broken.connect({ memoryNamespace: 'work' });
      await rejectsWith(
        client.call('memory.fact_count', {}),
        -32014,
        /the memory database .*memory\.sqlite cannot be opened \(file is not a database\); move it aside/,
      );
      const standalone = await broken.connect();
      assert.equal((await standalone.call('memory.add_fact', { subject: 's', body: 'private memory still works' })).fact_count, 1);
      assert.equal(readFileSync(file, 'utf8'), 'this is not an SQLite database, and it must not be overwritten');
      client.close();
      standalone.close();
    } finally {
      await broken.close();
    }
  });

  it('refuses namespaces with -32014 when the embedder keeps no state root, while private memory works', async () => {
    const journalDir = tempStateRoot('car-journal-');
    const state = ServerState.embedded(journalDir, MemoryStore.inMemory().graph('shared'));
    const server = await serve(state, { port: 0 });
    const { token } = state.auth.revealTokens();
    try {
      const client = await CarClient.connect({ url: server.url, token, memoryNamespace: 'wanted' });
      await rejectsWith(client.call('memory.fact_count', {}), -32014, /memory namespaces need a daemon with a state root/);
      await rejectsWith(client.call('memory.add_fact', { subject: 's', body: 'b' }), -32014, /state root/);
      const shared = await CarClient.connect({ url: server.url, token });
      assert.equal((await shared.call('memory.add_fact', { subject: 's', body: 'b' })).fact_count, 1);
      await rejectsWith(shared.call('memory.persist', { path: 'x.json' }), -32014, /memory\.persist needs a daemon with a state root/);
      client.close();
      shared.close();
    } finally {
      await server.stopAccepting();
      await state.close('test_done');
    }
  });
});
