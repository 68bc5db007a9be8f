import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { rawSocket, type RawSocket } from '../../helpers/raw-socket.js';
import { json, startPeer, type A2aPeer } from './a2a-peer.js';
import { components, create, dataModel, remove, text } from './helpers.js';

const BEARER = 'bearer-SECRET-7f3a9c51';
const HEADER_VALUE = 'header-SECRET-0b1d2e64';
const SECRETS = [BEARER, HEADER_VALUE];

/**
 * Route credentials (docs/protocol.md#a2ui-ingest) set through a2ui.ingest must never come back out: not in any
 * result, error, a2ui.event, host.event, listing, CLI output, the journal or the daemon log.
 */
describe('route auth never leaks (real daemon)', () => {
  let daemon: DaemonProcess;
  let peer: A2aPeer;
  let agent: CarClient;
  let observer: RawSocket;
  const transcript: string[] = [];
  const observed: unknown[] = [];
  const record = (label: string, value: unknown) => transcript.push(`${label}: ${JSON.stringify(value)}`);
  async function call(method: string, params: unknown): Promise<unknown> {
    try {
      const result = await agent.request(method, params);
      record(method, result);
      return result;
    } catch (error) {
      record(`${method} error`, { message: (error as Error).message, data: (error as { data?: unknown }).data });
      return error;
    }
  }

  before(async () => {
    peer = await startPeer();
    daemon = await startDaemon({ env: { CAR_LOG_LEVEL: 'debug' } });
    agent = await daemon.connect();
    observer = await rawSocket(daemon.url);
    observer.send({ jsonrpc: '2.0', id: 1, method: 'session.auth', params: { host_token: daemon.hostToken() } });
    observer.send({ jsonrpc: '2.0', id: 2, method: 'server.handshake', params: { protocol_version: 2 } });
    observer.send({ jsonrpc: '2.0', id: 3, method: 'a2ui/subscribe', params: {} });
    observer.send({ jsonrpc: '2.0', id: 4, method: 'host.subscribe', params: {} });
    await observer.until((m) => m.id === 4);
  });
  after(async () => {
    agent?.close();
    observer?.close();
    await daemon?.stop();
    await peer?.close();
  });

  it('exercises every a2ui method with bearer and header credentials, and finds them nowhere', async () => {
    const task = (surfaceId: string) => ({
      kind: 'task',
      id: `task-${surfaceId}`,
      contextId: 'ctx',
      artifacts: [{ parts: [{ kind: 'data', data: [{ a2ui: create(surfaceId) }, { a2ui: components(surfaceId, [text('root', 'hello')]) }] }] }],
    });
    await call('a2ui.capabilities', {});
    await call('a2ui.ingest', { payload: task('with-bearer'), endpoint: peer.url, routeAuth: { type: 'bearer', token: BEARER } });
    await call('a2ui.ingest', { payload: task('with-header'), endpoint: peer.url, routeAuth: { type: 'header', name: 'X-Route-Key', value: HEADER_VALUE } });
    await call('a2ui.ingest', {
      payload: { a2ui: dataModel('with-header', '/step', 2) },
      owner: { taskId: 'task-with-header', contextId: 'ctx' },
      endpoint: peer.url,
      routeAuth: { type: 'header', name: 'X-Route-Key', value: HEADER_VALUE },
    });
    // Refused calls that carry a credential must not echo it.
    await call('a2ui.ingest', { payload: task('refused-1'), endpoint: peer.url, routeAuth: { type: 'header', name: 'Host', value: HEADER_VALUE } });
    await call('a2ui.ingest', {
      payload: task('refused-2'),
      endpoint: peer.url,
      routeAuth: { type: 'header', name: 'X-Ok', value: `${HEADER_VALUE}\r\nX-Evil: 1` },
    });
    await call('a2ui.ingest', { payload: task('refused-3'), endpoint: peer.url, routeAuth: { type: 'bearer', token: `${BEARER}\n` } });
    await call('a2ui.ingest', { payload: task('refused-4'), endpoint: 'http://agent.example.com/a2a', routeAuth: { type: 'bearer', token: BEARER } });
    await call('a2ui.ingest', { payload: task('refused-5'), endpoint: peer.url, routeAuth: { type: 'bearer', token: BEARER, extra: BEARER } });
    await call('a2ui.ingest', {
      payload: { a2ui: components('with-bearer', [{ id: 'x', component: 'Nope' }]) },
      endpoint: peer.url,
      routeAuth: { type: 'bearer', token: BEARER },
    });
    // Through the approval gate (docs/protocol.md#approval-gate): the approver's preview must not show the credential either.
    for (const approved of [true, false]) {
      const gated = call('a2ui.ingest', {
        payload: task(approved ? 'gated' : 'gated-denied'),
        endpoint: peer.url,
        allowUntrustedEndpoint: true,
        routeAuth: { type: 'bearer', token: BEARER },
      });
      const frames = await observer.until((m) => m.method === 'host.event' && m.params.kind === 'approval.requested');
      observed.push(...frames);
      const approvalId = frames.at(-1).params.payload.approval.id;
      observer.send({ jsonrpc: '2.0', id: `resolve-${approvalId}`, method: 'host.resolve_approval', params: { approval_id: approvalId, approved } });
      observed.push(...(await observer.until((m) => m.id === `resolve-${approvalId}`)));
      await gated;
    }
    const gatedAction = (await call('a2ui.action', { name: 'approve', surfaceId: 'gated' })) as { route: { status: string } };
    assert.equal(gatedAction.route.status, 'sent');
    assert.equal(peer.requests.at(-1)!.headers.authorization, `Bearer ${BEARER}`);
    assert.equal(await agent.call('a2ui.get', { surfaceId: 'gated-denied' }), null);
    peer.requests.length = 0;

    await call('a2ui.apply', components('with-bearer', [text('root', 'updated')]));
    await call('a2ui.apply', { envelope: dataModel('with-bearer', '/n', 1) });
    await call('a2ui.surfaces', {});
    await call('a2ui.get', { surfaceId: 'with-bearer' });
    await call('a2ui.get', { surface_id: 'with-header' });
    await call('a2ui/replay', { surfaceId: 'with-bearer' });

    const bearerAction = (await call('a2ui.action', { name: 'approve', surfaceId: 'with-bearer', sourceComponentId: 'root', context: { ok: true } })) as {
      route: { status: string };
    };
    const headerAction = (await call('a2ui.action', { action: 'approve', surfaceId: 'with-header' })) as { route: { status: string } };
    assert.equal(bearerAction.route.status, 'sent');
    assert.equal(headerAction.route.status, 'sent');
    // Positive control: the credentials really were stored and sent to the peer.
    assert.deepEqual(
      peer.requests.map((r) => r.headers.authorization ?? r.headers['x-route-key']),
      [`Bearer ${BEARER}`, HEADER_VALUE],
    );

    peer.answer((request, response) => json(response, 401, { error: `bad credential ${request.headers.authorization}` }));
    await call('a2ui.action', { name: 'again', surfaceId: 'with-bearer' });
    peer.answer((request, response) =>
      json(response, 200, { jsonrpc: '2.0', id: request.body.id, error: { code: -32000, message: `rejected ${request.headers.authorization}` } }),
    );
    await call('a2ui.action', { name: 'again', surfaceId: 'with-bearer' });
    peer.answer((request, response) => json(response, 200, { jsonrpc: '2.0', id: request.body.id, result: { saw: request.headers['x-route-key'] } }));
    await call('a2ui.action', { name: 'echo', surfaceId: 'with-header' });

    await call('sessions.list', {});
    await call('daemon.status', {});
    await call('host.events', { limit: 500 });
    await call('host.approvals', {});
    await call('a2ui.reap', {});
    for (const args of [
      ['surfaces', 'ls', '--json'],
      ['surfaces', 'ls'],
      ['surfaces', 'show', 'with-bearer', '--json'],
      ['surfaces', 'show', 'with-header'],
    ]) {
      const cli = await runCli([...args, '--url', daemon.url], daemon.env);
      assert.equal(cli.code, 0, cli.stderr);
      transcript.push(cli.stdout, cli.stderr);
    }
    await call('a2ui.apply', remove('with-bearer'));
    await call('a2ui.apply', remove('with-header'));
    await call('a2ui/unsubscribe', {});

    // Everything the observer (host + a2ui subscriber) received, up to a final round trip.
    observer.send({ jsonrpc: '2.0', id: 99, method: 'a2ui.surfaces', params: {} });
    const frames = [...(observed as any[]), ...(await observer.until((m) => m.id === 99))];
    const kinds = new Set(frames.filter((m) => m.method).map((m) => `${m.method}:${m.params.kind}`));
    for (const kind of [
      'host.event:approval.requested',
      'host.event:approval.resolved',
      'a2ui.event:a2ui.surface_updated',
      'a2ui.event:a2ui.action',
      'a2ui.event:a2ui.surface_deleted',
      'host.event:a2ui.surface_updated',
      'host.event:a2ui.action',
      'host.event:a2ui.surface_deleted',
    ]) {
      assert.ok(kinds.has(kind), `observer saw ${kind}`);
    }
    transcript.push(...frames.map((frame) => JSON.stringify(frame)));

    agent.close();
    observer.close();
    assert.equal(await daemon.stop(), 0);
    const journalDir = join(daemon.stateRoot, 'journals');
    const journals = readdirSync(journalDir).map((file) => readFileSync(join(journalDir, file), 'utf8'));
    assert.ok(journals.join('').includes('"a2ui_applied"'), 'the journal recorded the envelopes');
    assert.ok(journals.join('').includes('"a2ui_action"'), 'the journal recorded the actions');

    const places: [string, string][] = [
      ['results, errors, events and CLI output', transcript.join('\n')],
      ['journal', journals.join('\n')],
      ['daemon log', daemon.logs()],
    ];
    for (const [where, content] of places) {
      for (const secret of SECRETS) {
        assert.ok(!content.includes(secret), `a route credential leaked into the ${where}`);
        assert.ok(!content.includes(secret.slice(0, 12)), `part of a route credential leaked into the ${where}`);
      }
    }
  });
});
