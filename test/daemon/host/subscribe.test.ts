import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { HostEvent, HostSubscribeResult } from '../../../src/protocol/host.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rawSocket, type RawSocket } from '../../helpers/raw-socket.js';
import { collectEvents, selfId } from './helpers.js';
import { rpcError } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { journalEvents } from '../../helpers/journal.js';

/** `host.subscribe` / `host.unsubscribe` and live `host.event` delivery (docs/protocol.md#host-subscribe). */
describe('host subscription (docs/protocol.md#host-subscribe)', () => {
  let daemon: InProcessDaemon;
  let emitter: CarClient;

  before(async () => {
    daemon = await startInProcess();
    emitter = await daemon.connect();
  });
  after(async () => {
    await daemon.close();
  });

  /** A bare, authenticated and handshaken connection, to see frames in the order they leave the daemon. */
  async function rawSession(): Promise<RawSocket> {
    const raw = await rawSocket(daemon.url);
    raw.send({ jsonrpc: '2.0', id: 'auth', method: 'session.auth', params: { token: daemon.token } });
    assert.equal((await raw.next()).result.ok, true);
    raw.send({ jsonrpc: '2.0', id: 'hs', method: 'server.handshake', params: { protocol_version: 2 } });
    assert.equal((await raw.next()).result.protocol_version, 2);
    return raw;
  }

  const lastSequence = async () => (await emitter.call('host.events', { limit: 1 })).events[0]?.sequence ?? 0;

  it('needs the handshake (-32005); unsubscribe does not', async () => {
    const unnegotiated = await daemon.connect({ handshake: false });
    try {
      await assert.rejects(
        unnegotiated.call('host.subscribe', {}),
        rpcError(-32005, /^protocol handshake required: call server.handshake with protocol_version 2 before host.subscribe/),
      );
      assert.deepEqual(await unnegotiated.call('host.unsubscribe', {}), { subscribed: false });
      const { sessions } = await unnegotiated.call('sessions.list', {});
      assert.deepEqual(sessions.find((session) => session.is_self)!.subscriptions, []);
    } finally {
      unnegotiated.close();
    }
  });

  it('returns the snapshot and identity; subscribing twice is idempotent; unsubscribe stops delivery', async () => {
    const agent = await emitter.call('host.register_agent', { name: 'snap', kind: 'builtin' });
    const approval = await emitter.call('host.request_approval', { title: 'snap approval' });
    const client = await daemon.connect();
    const seen = collectEvents(client);
    const snapshot = await client.call('host.subscribe', {});
    assert.equal(snapshot.subscribed, true);
    assert.ok(snapshot.agents.some((listed) => listed.id === agent.id));
    assert.equal(snapshot.approvals[0]!.id, approval.id, 'approvals newest first');
    assert.equal(snapshot.event_sequence, await lastSequence());
    assert.equal(snapshot.events.at(-1)!.sequence, snapshot.event_sequence);
    assert.deepEqual(snapshot.identity, { version: snapshot.identity.version, pid: process.pid, state_root: daemon.stateRoot });
    assert.match(snapshot.identity.version, /^\d+\.\d+\.\d+/);
    assert.equal((await client.call('host.subscribe', {})).subscribed, true);
    const { sessions } = await client.call('sessions.list', {});
    assert.deepEqual(sessions.find((session) => session.is_self)!.subscriptions, ['host']);

    const sent = await emitter.call('host.notify', { message: 'once' });
    await waitFor(() => seen.some((event) => event.id === sent.id), 'the notification');
    await client.call('host.events', { limit: 1 }); // a round trip: a duplicate would have arrived by now
    assert.equal(seen.filter((event) => event.id === sent.id).length, 1, 'one delivery however often the session subscribed');

    assert.deepEqual(await client.call('host.unsubscribe', {}), { subscribed: false });
    assert.deepEqual(await client.call('host.unsubscribe', {}), { subscribed: false });
    const count = seen.length;
    await emitter.call('host.notify', { message: 'after unsubscribe' });
    await client.call('host.events', { limit: 1 });
    assert.equal(seen.length, count, 'nothing after unsubscribe');
    const listed = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!;
    assert.deepEqual(listed.subscriptions, []);
    client.close();
  });

  it('lets a subscriber joining mid-stream rebuild the exact sequence: snapshot, then newer pushes, in order', async () => {
    const subscriber = await rawSession();
    const total = 300;
    const first = (await lastSequence()) + 1;
    // Notifications on another connection race the subscription, spread over several event-loop turns.
    const notified = [];
    for (let i = 0; i < total; i++) {
      notified.push(emitter.call('host.notify', { kind: 'race.tick', message: String(i) }));
      if (i === total / 2) subscriber.send({ jsonrpc: '2.0', id: 'sub', method: 'host.subscribe', params: {} });
      if (i % 10 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    const last = (await Promise.all(notified)).at(-1)!.sequence;
    assert.equal(last, first + total - 1, 'one sequence per event, no gaps');

    const frames = await subscriber.until(
      (frame) => (frame.method === 'host.event' && frame.params.sequence === last) || (frame.id === 'sub' && frame.result.event_sequence >= last),
      15_000,
    );
    const snapshot = frames.find((frame) => frame.id === 'sub').result as HostSubscribeResult;
    assert.ok(
      snapshot.event_sequence > first && snapshot.event_sequence < last,
      `the subscription landed mid-stream (at ${snapshot.event_sequence} of ${first}..${last})`,
    );
    const pushed = frames.filter((frame) => frame.method === 'host.event').map((frame) => frame.params as HostEvent);
    for (let i = 1; i < pushed.length; i++) assert.ok(pushed[i]!.sequence > pushed[i - 1]!.sequence, 'pushed in sequence order');
    const fresh = pushed.filter((event) => event.sequence > snapshot.event_sequence);
    const rebuilt = [...snapshot.events.map((event) => event.sequence), ...fresh.map((event) => event.sequence)];
    const expectedFirst = rebuilt[0]!;
    assert.deepEqual(
      rebuilt,
      Array.from({ length: last - expectedFirst + 1 }, (_unused, i) => expectedFirst + i),
      'snapshot plus newer pushes is gap-free and duplicate-free',
    );
    assert.ok(snapshot.events.length <= 100);
    subscriber.close();
  });

  it('delivers every event to every subscriber in the same order', async () => {
    const a = await daemon.connect();
    const b = await daemon.connect();
    const seenA = collectEvents(a);
    const seenB = collectEvents(b);
    await Promise.all([a.call('host.subscribe', {}), b.call('host.subscribe', {})]);
    const agent = await emitter.call('host.register_agent', { name: 'fan-out', kind: 'builtin' });
    await emitter.call('host.set_status', { agent_id: agent.id, status: 'running' });
    for (let i = 0; i < 20; i++) await emitter.call('host.notify', { message: `n${i}` });
    await emitter.call('host.unregister_agent', { agent_id: agent.id });
    await waitFor(() => seenA.length === 23 && seenB.length === 23, 'all 23 events on both');
    assert.deepEqual(seenA, seenB);
    assert.deepEqual(seenA.map((event) => event.kind).slice(0, 2), ['agent.registered', 'agent.status_changed']);
    a.close();
    b.close();
  });

  it('keeps the last 500 events: host.events returns them oldest first, the snapshot the last 100', async () => {
    for (let i = 0; i < 520; i++) daemon.state.host.emit('ring.fill', { message: String(i) });
    const last = await lastSequence();
    const { events } = await emitter.call('host.events', { limit: 500 });
    assert.equal(events.length, 500);
    assert.deepEqual(
      events.map((event) => event.sequence),
      Array.from({ length: 500 }, (_unused, i) => last - 499 + i),
    );
    assert.equal(events.at(-1)!.message, '519');
    assert.deepEqual(
      (await emitter.call('host.events', {})).events.map((event) => event.sequence),
      Array.from({ length: 100 }, (_unused, i) => last - 99 + i),
      'default limit 100',
    );
    const snapshot = await emitter.call('host.subscribe', {});
    assert.deepEqual(snapshot.events, events.slice(-100));
    await emitter.call('host.unsubscribe', {});
  });
});

describe('slow host subscriber (docs/protocol.md#liveness-and-close-codes)', () => {
  it('cuts off a subscriber that stops reading while another keeps receiving every event', async () => {
    const daemon = await startInProcess();
    try {
      const slow = await rawSocket(daemon.url);
      slow.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { token: daemon.token } });
      slow.send({ jsonrpc: '2.0', id: 2, method: 'server.handshake', params: { protocol_version: 2 } });
      slow.send({ jsonrpc: '2.0', id: 3, method: 'sessions.list', params: {} });
      slow.send({ jsonrpc: '2.0', id: 4, method: 'host.subscribe', params: {} });
      const frames = await slow.until((frame) => frame.id === 4);
      const slowId = frames.find((frame) => frame.id === 3).result.sessions.find((session: { is_self: boolean }) => session.is_self).id as string;
      (slow.ws as unknown as { _socket: { pause(): void } })._socket.pause();

      const healthy = await daemon.connect();
      const healthyId = await selfId(healthy);
      const received: number[] = [];
      healthy.on('host.event', (event) => received.push(event.sequence));
      await healthy.call('host.subscribe', {});

      const payload = { blob: 'x'.repeat(60_000) };
      const emitted: number[] = [];
      let extraBatches = 5;
      for (let batch = 0; batch < 2000 && extraBatches > 0; batch++) {
        for (let i = 0; i < 8; i++) emitted.push(daemon.state.host.emit('bulk.data', { payload }).sequence);
        // The healthy subscriber catches up after every batch: nothing the stuck one does holds it back.
        await waitFor(() => received.length === emitted.length, `healthy subscriber to receive batch ${batch}`);
        if (daemon.state.sessions.get(slowId)?.closed !== false) extraBatches--;
      }
      assert.deepEqual(received, emitted, 'every event, in sequence order');
      assert.ok(emitted.length * 60_000 > 16 * 1024 * 1024, 'more than the 16 MiB limit was sent');

      const removed = await waitFor(
        () => journalEvents(daemon.state.journal).find((event) => event.kind === 'session_removed' && event.session_id === slowId),
        'the slow session removed',
      );
      assert.equal(removed.data.reason, 'slow_reader');
      assert.equal(removed.data.close_code, 1008);
      assert.equal(daemon.state.sessions.has(healthyId), true);
      const { sessions } = await healthy.call('sessions.list', {});
      assert.equal(
        sessions.some((session) => session.id === slowId),
        false,
      );
      slow.ws.terminate();
    } finally {
      await daemon.close();
    }
  });
});
