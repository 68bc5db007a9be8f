import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { CarClient } from '../../../src/client/node.js';
import { implement } from '../../../src/daemon/rpc/method-table.js';
import { defineMethods, returns } from '../../../src/protocol/descriptor.js';
import { RpcError } from '../../../src/protocol/errors.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';

/** Handler-level behaviour: deadline, internal errors, handshake gate, disconnect aborts, binary routing. */
describe('dispatcher gates and handler outcomes (docs/protocol.md#errors, docs/protocol.md#gates)', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  const aborted: string[] = [];
  const binary: { session: string; bytes: number }[] = [];

  before(async () => {
    daemon = await startInProcess({ handlerTimeoutMs: 300 });
    const testMethods = defineMethods({
      'test.hang': { params: z.strictObject({ tag: z.string() }), result: returns<null>() },
      'test.crash': { params: z.strictObject({}), result: returns<never>() },
      'test.negotiated': { params: z.strictObject({}), result: returns<string>() },
      'test.host_only': { params: z.strictObject({}), result: returns<string>() },
    });
    daemon.state.registry.register(
      implement(testMethods, {
        'test.hang': { handler: ({ tag }, { signal }) => new Promise((resolve) => signal.addEventListener('abort', () => (aborted.push(tag), resolve(null)))) },
        'test.crash': {
          handler: () => {
            throw new Error('boom');
          },
        },
        'test.negotiated': { needsHandshake: true, handler: () => 'ok' },
        'test.host_only': { hostOnly: true, handler: () => 'ok' },
      }),
    );
    daemon.state.binaryFrameHandler = (session, frame) => binary.push({ session: session.id, bytes: frame.length });
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await daemon.close();
  });

  it('answers -32004 when a handler outlives its deadline, and aborts its signal', async () => {
    await assert.rejects(
      client.request('test.hang', { tag: 'deadline' }),
      (e: RpcError) => e.code === -32004 && /^handler 'test\.hang' exceeded its 0\.3s response deadline; .*re-read/.test(e.message),
    );
    assert.ok(aborted.includes('deadline'));
  });

  it('answers -32603 for an unexpected handler failure and keeps serving', async () => {
    await assert.rejects(client.request('test.crash', {}), (e: RpcError) => e.code === -32603 && /internal error in test\.crash: boom/.test(e.message));
    assert.ok((await client.call('sessions.list', {})).sessions.length >= 1);
  });

  it('answers -32005 before the handshake and runs after it', async () => {
    const fresh = await daemon.connect({ handshake: false });
    await assert.rejects(fresh.request('test.negotiated', {}), (e: RpcError) => e.code === -32005 && /^protocol handshake required:/.test(e.message));
    await fresh.request('server.handshake', { protocol_version: 2 });
    assert.equal(await fresh.request('test.negotiated', {}), 'ok');
    fresh.close();
  });

  it('answers -32012 for a host-only method called by a client, and runs it for a host', async () => {
    await assert.rejects(client.request('test.host_only', {}), (e: RpcError) => e.code === -32012 && e.data?.kind === 'forbidden');
    const host = await daemon.connect({ asHost: true });
    assert.equal(await host.request('test.host_only', {}), 'ok');
    host.close();
  });

  it('aborts in-flight requests when their client disconnects (teardown step 1)', async () => {
    const leaving = await daemon.connect();
    void leaving.request('test.hang', { tag: 'disconnect' }).catch(() => {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    leaving.close();
    for (let i = 0; i < 100 && !aborted.includes('disconnect'); i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.ok(aborted.includes('disconnect'));
  });

  it('hands authenticated binary frames to the installed handler', async () => {
    client.sendBinary(new Uint8Array(30));
    for (let i = 0; i < 100 && binary.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(binary[0]?.bytes, 30);
  });

  it('lists sessions with every documented field and marks the caller', async () => {
    const other = await daemon.connect({ handshake: false });
    const { sessions } = await client.call('sessions.list', {});
    assert.equal(sessions.filter((s) => s.is_self).length, 1);
    const self = sessions.find((s) => s.is_self)!;
    assert.deepEqual(Object.keys(self).sort(), [
      'authenticated',
      'client_version',
      'connected_at',
      'host_agents',
      'id',
      'inflight',
      'is_self',
      'last_activity_at',
      'meetings',
      'memory',
      'protocol_version',
      'remote',
      'requests_total',
      'role',
      'subscriptions',
      'voice_sessions',
    ]);
    assert.match(self.id, /^sess-[0-9a-f]{12}$/);
    assert.match(self.remote, /^127\.0\.0\.1:\d+$/);
    assert.equal(self.protocol_version, 2);
    assert.equal(self.inflight, 1, 'the sessions.list call itself');
    const ordered = sessions.map((s) => s.connected_at);
    assert.deepEqual(ordered, [...ordered].sort());
    assert.equal(sessions.find((s) => !s.is_self && s.protocol_version === null)?.role, 'client');
    other.close();
  });
});
