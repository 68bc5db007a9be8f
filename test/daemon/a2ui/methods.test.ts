import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { A2UI_CATALOG_IDS, A2UI_COMPONENTS, type A2uiApplyResult, type A2uiEventParams, type A2uiSurface } from '../../../src/protocol/a2ui.js';
import { RpcError } from '../../../src/protocol/errors.js';
import { DEFAULT_A2UI_LIMITS } from '../../../src/daemon/a2ui/limits.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { json, startPeer, type A2aPeer } from './a2a-peer.js';
import { components, create, dataModel, nested, remove, text } from './helpers.js';
import { waitFor } from '../../helpers/wait.js';
import { journalEvents } from '../../helpers/journal.js';

const isCode = (code: number, pattern?: RegExp) => (error: unknown) =>
  error instanceof RpcError && error.code === code && (!pattern || pattern.test(error.message));

function events(client: CarClient): A2uiEventParams[] {
  const seen: A2uiEventParams[] = [];
  client.on('a2ui.event', (event) => seen.push(event));
  return seen;
}

function hostEvents(client: CarClient): { kind: string; payload: any; message: string | null }[] {
  const seen: { kind: string; payload: any; message: string | null }[] = [];
  client.on('host.event', (event: any) => seen.push(event));
  return seen;
}

async function selfId(client: CarClient): Promise<string> {
  const { sessions } = await client.call('sessions.list', {});
  return sessions.find((s) => s.is_self)!.id;
}

describe('a2ui methods over the wire (docs/protocol.md#namespace-a2ui)', () => {
  let daemon: InProcessDaemon;
  let agent: CarClient;
  let ui: CarClient;
  before(async () => {
    daemon = await startInProcess();
    agent = await daemon.connect();
    ui = await daemon.connect();
  });
  after(async () => {
    await daemon.close();
  });

  it('a2ui.capabilities names the version, catalogs, the 24 components and the limits', async () => {
    const caps = await agent.call('a2ui.capabilities', {});
    assert.deepEqual(caps, {
      version: 'v0.9',
      mimeType: 'application/json+a2ui',
      catalogs: [...A2UI_CATALOG_IDS],
      components: [...A2UI_COMPONENTS],
      limits: { ...DEFAULT_A2UI_LIMITS },
    });
    assert.equal(caps.components.length, 24);
  });

  it('a2ui.apply takes a raw envelope or { envelope }, and the caller owns what it creates', async () => {
    const created = (await agent.request('a2ui.apply', create('apply-forms'))) as A2uiApplyResult;
    assert.deepEqual(created.surface!.owner, { kind: 'session', sessionId: await selfId(agent) });
    const updated = await agent.call('a2ui.apply', { envelope: components('apply-forms', [text('root', 'hi')]) });
    assert.equal(updated.surface!.revision, 2);
    assert.deepEqual(await agent.call('a2ui.get', { surface_id: 'apply-forms' }), updated.surface);
    assert.deepEqual(await agent.call('a2ui.get', { surfaceId: 'apply-forms' }), updated.surface);
    assert.equal(await agent.call('a2ui.get', { surfaceId: 'no-such-surface' }), null);
    assert.ok((await agent.call('a2ui.surfaces', {})).some((s) => s.surfaceId === 'apply-forms'));
  });

  it('subscribe → apply → a2ui.event → replay for a late joiner', async () => {
    const seen = events(ui);
    assert.deepEqual(await ui.call('a2ui/subscribe', {}), { subscribed: true });
    const results: A2uiApplyResult[] = [];
    for (const envelope of [
      create('late'),
      components('late', [
        { id: 'root', component: 'Column', children: ['name'] },
        { id: 'name', component: 'TextField', label: 'Name', value: { path: '/name' } },
      ]),
      dataModel('late', '/name', 'Ada'),
    ]) {
      results.push(await agent.call('a2ui.apply', { envelope }));
    }
    await waitFor(() => (seen.filter((e) => e.result.surfaceId === 'late').length === 3 ? true : undefined), 'three events');
    assert.deepEqual(
      seen.filter((e) => e.result.surfaceId === 'late'),
      results.map((result) => ({ kind: 'a2ui.surface_updated', result })),
    );

    const late = await daemon.connect();
    const lateSeen = events(late);
    await late.call('a2ui/subscribe', {});
    const replayed = (await late.call('a2ui/replay', { surfaceId: 'late' })) as A2uiSurface;
    assert.deepEqual(replayed, results[2]!.surface);
    assert.deepEqual(await late.call('a2ui/replay', { surface_id: 'late' }), replayed);
    const next = await agent.call('a2ui.apply', { envelope: dataModel('late', '/name', 'Grace') });
    await waitFor(() => lateSeen.find((e) => e.result.surfaceId === 'late'), 'event for the late joiner');
    assert.deepEqual(lateSeen, [{ kind: 'a2ui.surface_updated', result: next }]);
    const { sessions } = await late.call('sessions.list', {});
    assert.deepEqual(sessions.find((s) => s.is_self)!.subscriptions, ['a2ui']);
    await late.closeAndWait();
  });

  it('broadcasts nothing for a refused envelope or an unknown delete; unsubscribe stops events', async () => {
    const seen = events(ui);
    await ui.call('a2ui/subscribe', {});
    await assert.rejects(agent.call('a2ui.apply', { envelope: components('late', [{ id: 'x', component: 'Blink' }]) }), isCode(-32602));
    assert.deepEqual(await agent.call('a2ui.apply', { envelope: remove('never-existed') }), { surfaceId: 'never-existed', deleted: false });
    await ui.call('a2ui.surfaces', {}); // a round trip: anything sent to ui before it has arrived
    assert.deepEqual(seen, []);

    assert.deepEqual(await ui.call('a2ui/unsubscribe', {}), { subscribed: false });
    assert.deepEqual(await ui.call('a2ui/unsubscribe', {}), { subscribed: false });
    await agent.call('a2ui.apply', { envelope: dataModel('late', '/name', 'Lin') });
    await ui.call('a2ui.surfaces', {});
    assert.deepEqual(seen, []);
  });

  it('emits the host.event kinds a2ui.surface_updated, a2ui.surface_deleted and a2ui.action', async () => {
    const host = await daemon.connect({ asHost: true });
    const seen = hostEvents(host);
    await host.call('host.subscribe' as never, {} as never);
    const created = await agent.call('a2ui.apply', { envelope: create('hosted') });
    const { event, route } = await agent.call('a2ui.action', { name: 'ping', surfaceId: 'hosted', sourceComponentId: 'btn', context: { a: 1 } });
    const deleted = await agent.call('a2ui.apply', { envelope: remove('hosted') });
    await waitFor(() => (seen.filter((e) => e.kind.startsWith('a2ui.')).length >= 3 ? true : undefined), 'host events');
    const a2ui = seen.filter((e) => e.kind.startsWith('a2ui.'));
    assert.deepEqual(
      a2ui.map((e) => e.kind),
      ['a2ui.surface_updated', 'a2ui.action', 'a2ui.surface_deleted'],
    );
    assert.deepEqual(a2ui[0]!.payload, created);
    assert.deepEqual(a2ui[1], event);
    assert.deepEqual(a2ui[1]!.payload, {
      surfaceId: 'hosted',
      action: {
        name: 'ping',
        surfaceId: 'hosted',
        sourceComponentId: 'btn',
        timestamp: (event.payload as { action: { timestamp: string } }).action.timestamp,
        context: { a: 1 },
      },
      owner: created.surface!.owner,
      route,
    });
    assert.deepEqual(a2ui[2]!.payload, deleted);
    await host.closeAndWait();
  });

  it('keeps only the surface id, deletion flag and revision of a2ui events in the host history, while live events carry the surface', async () => {
    const host = await daemon.connect({ asHost: true });
    const seen = hostEvents(host);
    await host.call('host.subscribe' as never, {} as never);
    const created = await agent.call('a2ui.apply', { envelope: create('historic') });
    const updated = await agent.call('a2ui.apply', { envelope: components('historic', [text('greeting', 'hello')]) });
    await waitFor(() => (seen.filter((e) => e.kind === 'a2ui.surface_updated').length >= 2 ? true : undefined), 'live host events');
    assert.deepEqual(
      seen.filter((e) => e.kind === 'a2ui.surface_updated').map((e) => e.payload),
      [created, updated],
    );
    const { events } = await host.call('host.events', { limit: 10 });
    const history = events.filter((e) => e.kind === 'a2ui.surface_updated' && (e.payload as { surfaceId: string }).surfaceId === 'historic');
    assert.deepEqual(
      history.map((e) => e.payload),
      [
        { surfaceId: 'historic', deleted: false, revision: 1 },
        { surfaceId: 'historic', deleted: false, revision: 2 },
      ],
    );
    await agent.call('a2ui.apply', { envelope: remove('historic') });
    await host.closeAndWait();
  });

  it('a2ui.action on a session-owned surface notifies subscribers without the route and returns route kind none', async () => {
    const seen = events(ui);
    await ui.call('a2ui/subscribe', {});
    const owner = (await agent.call('a2ui.apply', { envelope: create('clicky') })).surface!.owner;
    const result = await agent.call('a2ui.action', { action: 'submit', surfaceId: 'clicky', timestamp: '2026-01-01T00:00:00Z' });
    assert.deepEqual(result.route, { kind: 'none', subscribers: 1 });
    assert.equal(result.event.kind, 'a2ui.action');
    const actionEvent = await waitFor(() => seen.find((e) => e.kind === 'a2ui.action'), 'the action event');
    assert.deepEqual(actionEvent, {
      kind: 'a2ui.action',
      result: {
        surfaceId: 'clicky',
        action: { name: 'submit', surfaceId: 'clicky', sourceComponentId: null, timestamp: '2026-01-01T00:00:00Z', context: {} },
        owner,
      },
    });
    await ui.call('a2ui/unsubscribe', {});
    await assert.rejects(agent.call('a2ui.action', { name: 'x', surfaceId: 'ghost' }), isCode(-32010, /unknown surface 'ghost'/));
    await assert.rejects(agent.call('a2ui.action', { surfaceId: 'clicky' } as never), isCode(-32602, /pass the action name/));
    await assert.rejects(agent.call('a2ui.action', { name: 'x', surfaceId: 'clicky', context: nested(40) }), isCode(-32013));
  });

  it('refuses bad params with clear -32602 errors', async () => {
    await assert.rejects(agent.call('a2ui.get', {} as never), isCode(-32602, /pass surfaceId \(or surface_id\)/));
    await assert.rejects(agent.call('a2ui.get', { surfaceId: 'a', surface_id: 'b' }), isCode(-32602, /name different surfaces/));
    await assert.rejects(
      agent.request('a2ui.get', { surfaceId: 'a', extra: 1 }),
      isCode(-32602, /unknown param 'extra' for a2ui.get; allowed: surface_id, surfaceId/),
    );
    await assert.rejects(agent.request('a2ui.surfaces', { x: 1 }), isCode(-32602));
    await agent.call('a2ui.apply', { envelope: create('pointers') });
    await assert.rejects(agent.call('a2ui.apply', { envelope: dataModel('pointers', 'no-slash', 1) }), isCode(-32602, /not a valid JSON Pointer/));
    await assert.rejects(agent.call('a2ui.apply', { envelope: dataModel('ghost', '/a', 1) }), isCode(-32010));
    await assert.rejects(agent.call('a2ui.apply', { envelope: dataModel('pointers', '/deep', nested(40)) }), isCode(-32013));
    await assert.rejects(
      agent.call('a2ui.apply', { envelope: dataModel('pointers', '/big', 'x'.repeat(70_000)) }),
      (error: RpcError) => error.code === -32013 && error.data?.kind === 'LimitExceeded',
    );
    assert.deepEqual((await agent.call('a2ui.get', { surfaceId: 'pointers' }))!.dataModel, {});
  });

  it('journals applied envelopes, deletes and actions with metadata only', async () => {
    await agent.call('a2ui.apply', { envelope: create('journaled') });
    await agent.call('a2ui.action', { name: 'go', surfaceId: 'journaled' });
    await agent.call('a2ui.apply', { envelope: remove('journaled') });
    const entries = journalEvents(daemon.state.journal).filter((e) => e.kind.startsWith('a2ui_') && e.data.surface_id === 'journaled');
    const sessionId = await selfId(agent);
    assert.deepEqual(
      entries.map((e) => [e.kind, e.session_id, e.data]),
      [
        ['a2ui_applied', sessionId, { surface_id: 'journaled', envelope: create('journaled') }],
        ['a2ui_action', sessionId, { surface_id: 'journaled', name: 'go', route_status: 'none' }],
        ['a2ui_deleted', sessionId, { surface_id: 'journaled' }],
      ],
    );
  });

  it('keeps the surfaces of a session that disconnects, and drops its subscription (docs/protocol.md#teardown)', async () => {
    const leaving = await daemon.connect();
    await leaving.call('a2ui/subscribe', {});
    const leavingId = await selfId(leaving);
    await leaving.call('a2ui.apply', { envelope: create('orphan') });
    await leaving.closeAndWait();
    await waitFor(() => (daemon.state.sessions.has(leavingId) ? undefined : true), 'session removal');
    const orphan = await agent.call('a2ui.get', { surfaceId: 'orphan' });
    assert.deepEqual(orphan!.owner, { kind: 'session', sessionId: leavingId });
    const { route } = await agent.call('a2ui.action', { name: 'still-there', surfaceId: 'orphan' });
    assert.deepEqual(route, { kind: 'none', subscribers: 0 });
  });
});

describe('a2ui.ingest (docs/protocol.md#a2ui-ingest)', () => {
  let daemon: InProcessDaemon;
  let agent: CarClient;
  let peer: A2aPeer;
  before(async () => {
    daemon = await startInProcess();
    agent = await daemon.connect();
    peer = await startPeer();
  });
  after(async () => {
    await daemon.close();
    await peer.close();
  });

  const task = (surfaceId: string) => ({
    jsonrpc: '2.0',
    id: 3,
    result: {
      kind: 'task',
      id: `task-${surfaceId}`,
      contextId: `ctx-${surfaceId}`,
      status: { state: 'input-required', message: { kind: 'message', role: 'agent', parts: [{ kind: 'data', data: create(surfaceId) }] } },
      artifacts: [
        {
          artifactId: 'ui',
          parts: [
            {
              kind: 'data',
              data: {
                a2ui: components(surfaceId, [
                  { id: 'root', component: 'Button', child: 'label', action: { event: { name: 'confirm' } } },
                  text('label', 'Confirm'),
                ]),
              },
            },
            { kind: 'data', data: [{ a2ui: dataModel(surfaceId, '/confirmed', false) }] },
          ],
        },
      ],
    },
  });

  it('applies every envelope of a nested A2A task, in order, owned by its task and context', async () => {
    const { applied } = await agent.call('a2ui.ingest', { payload: task('nested') });
    assert.deepEqual(
      applied.map((r) => r.surface!.revision),
      [1, 2, 3],
    );
    const surface = (await agent.call('a2ui.get', { surfaceId: 'nested' }))!;
    assert.deepEqual(surface.owner, { kind: 'a2a', taskId: 'task-nested', contextId: 'ctx-nested', endpoint: null });
    assert.deepEqual(Object.keys(surface.components), ['root', 'label']);
    assert.deepEqual(surface.dataModel, { confirmed: false });
  });

  it('takes a raw payload as the params, and an explicit owner over the ids found', async () => {
    const raw = (await agent.request('a2ui.ingest', task('raw'))) as { applied: A2uiApplyResult[] };
    assert.equal(raw.applied.length, 3);
    const { applied } = await agent.call('a2ui.ingest', { payload: task('explicit'), owner: { taskId: 'mine', contextId: null } });
    assert.deepEqual(applied[0]!.surface!.owner, { kind: 'a2a', taskId: 'mine', contextId: null, endpoint: null });
  });

  it('owns surfaces by the session when the payload names no task and no owner is given', async () => {
    const { applied } = await agent.call('a2ui.ingest', { payload: { parts: [{ kind: 'data', data: { a2ui: create('plain') } }] } });
    assert.deepEqual(applied[0]!.surface!.owner, { kind: 'session', sessionId: await selfId(agent) });
    assert.deepEqual(await agent.call('a2ui.ingest', { payload: { kind: 'message', parts: [{ kind: 'text', text: 'hello' }] } }), { applied: [] });
  });

  it('is all-or-nothing and names the failing envelope', async () => {
    const payload = {
      parts: [
        { kind: 'data', data: create('atomic') },
        { kind: 'data', data: components('atomic', [text('root')]) },
        { kind: 'data', data: components('atomic', [{ id: 'bad', component: 'Nope' }]) },
      ],
    };
    await assert.rejects(
      agent.call('a2ui.ingest', { payload }),
      (error: RpcError) =>
        error.code === -32602 && error.data?.kind === 'UnsupportedComponent' && error.data?.index === 2 && /^envelope 2: /.test(error.message),
    );
    assert.equal(await agent.call('a2ui.get', { surfaceId: 'atomic' }), null);
    const tooDeep = { a: nested(40) };
    await assert.rejects(agent.call('a2ui.ingest', { payload: tooDeep }), isCode(-32013, /maxDepth/));
  });

  it('refuses a non-loopback endpoint unless allowUntrustedEndpoint is set, and bad route auth', async () => {
    await assert.rejects(
      agent.call('a2ui.ingest', { payload: task('remote'), endpoint: 'https://agent.example.com/a2a' }),
      isCode(-32602, /endpoint 'https:\/\/agent\.example\.com\/a2a' is not loopback; pass allowUntrustedEndpoint: true to allow it/),
    );
    await assert.rejects(agent.call('a2ui.ingest', { payload: task('remote'), endpoint: 'ftp://127.0.0.1/x' }), isCode(-32602, /http:\/\/ or https:\/\//));
    await assert.rejects(
      agent.call('a2ui.ingest', { payload: task('remote'), endpoint: 'http://me:pw@127.0.0.1/x' }),
      isCode(-32602, /must not embed credentials/),
    );
    for (const name of ['Host', 'content-length', 'Transfer-Encoding', 'CONNECTION']) {
      await assert.rejects(
        agent.call('a2ui.ingest', { payload: task('remote'), endpoint: peer.url, routeAuth: { type: 'header', name, value: 'v' } }),
        isCode(-32602, /cannot be Host/),
      );
    }
    await assert.rejects(
      agent.call('a2ui.ingest', { payload: task('remote'), endpoint: peer.url, routeAuth: { type: 'header', name: 'X-Key\r\nEvil: 1', value: 'v' } }),
      isCode(-32602, /HTTP header name/),
    );
    await assert.rejects(
      agent.call('a2ui.ingest', { payload: task('remote'), endpoint: peer.url, routeAuth: { type: 'header', name: 'X-Key', value: 'v\r\nEvil: 1' } }),
      isCode(-32602, /CR, LF/),
    );
    await assert.rejects(
      agent.call('a2ui.ingest', { payload: task('remote'), endpoint: peer.url, routeAuth: { type: 'bearer', token: '' } }),
      isCode(-32602, /must not be empty/),
    );
    await assert.rejects(
      agent.call('a2ui.ingest', { payload: task('remote'), routeAuth: { type: 'bearer', token: 'abc' } }),
      isCode(-32602, /pass the endpoint/),
    );
    await assert.rejects(
      agent.request('a2ui.ingest', { payload: task('remote'), endpoint: peer.url, routeAuth: { type: 'magic' } }),
      isCode(-32602, /routeAuth.type must be/),
    );
    assert.equal(await agent.call('a2ui.get', { surfaceId: 'remote' }), null);
    for (const endpoint of ['http://localhost:1/a2a', 'http://127.9.9.9:1/a2a', 'http://[::1]:1/a2a']) {
      await agent.call('a2ui.ingest', { payload: { a2ui: create('loopbacks') }, endpoint });
    }
  });

  it('continues the A2A task on a2ui.action: SendMessage with the action and the stored header', async () => {
    await agent.call('a2ui.ingest', {
      payload: task('continued'),
      endpoint: peer.url,
      routeAuth: { type: 'header', name: 'X-Api-Key', value: 'route-secret-1' },
    });
    peer.requests.length = 0;
    const { route } = await agent.call('a2ui.action', {
      name: 'confirm',
      surfaceId: 'continued',
      sourceComponentId: 'root',
      timestamp: '2026-03-01T09:00:00Z',
      context: { confirmed: true },
    });
    assert.deepEqual(route, {
      kind: 'a2a',
      endpoint: peer.url,
      status: 'sent',
      http_status: 200,
      response: { kind: 'task', id: 'task-1', status: { state: 'working' } },
    });
    assert.equal(peer.requests.length, 1);
    const [request] = peer.requests;
    assert.equal(request!.headers['x-api-key'], 'route-secret-1');
    assert.equal(request!.body.method, 'SendMessage');
    const { messageId, ...message } = request!.body.params.message;
    assert.ok(messageId);
    assert.deepEqual(message, {
      role: 'user',
      taskId: 'task-continued',
      contextId: 'ctx-continued',
      parts: [
        {
          kind: 'data',
          data: {
            a2uiAction: { name: 'confirm', surfaceId: 'continued', sourceComponentId: 'root', timestamp: '2026-03-01T09:00:00Z', context: { confirmed: true } },
          },
        },
      ],
    });
    const surface = (await agent.call('a2ui.get', { surfaceId: 'continued' }))!;
    assert.ok(!JSON.stringify(surface).includes('route-secret-1'));
  });

  it('a failed continuation is reported in route and does not fail the action', async () => {
    await agent.call('a2ui.ingest', { payload: task('flaky'), endpoint: peer.url, routeAuth: { type: 'bearer', token: 'route-secret-2' } });
    peer.answer((_request, response) => json(response, 500, { oops: true }));
    try {
      const { route, event } = await agent.call('a2ui.action', { name: 'confirm', surfaceId: 'flaky' });
      assert.deepEqual(route, { kind: 'a2a', endpoint: peer.url, status: 'failed', error: 'the peer answered HTTP 500' });
      assert.equal((event.payload as { route: { status: string } }).route.status, 'failed');
      const entry = journalEvents(daemon.state.journal)
        .filter((e) => e.kind === 'a2ui_action' && e.data.surface_id === 'flaky')
        .at(-1)!;
      assert.deepEqual(entry.data, { surface_id: 'flaky', name: 'confirm', route_status: 'failed' });
    } finally {
      peer.answer((request, response) =>
        json(response, 200, { jsonrpc: '2.0', id: request.body.id, result: { kind: 'task', id: 'task-1', status: { state: 'working' } } }),
      );
    }
  });

  it('keeps the owner and its credentials when later updates name only the task', async () => {
    await agent.call('a2ui.ingest', { payload: task('streamed'), endpoint: peer.url, routeAuth: { type: 'bearer', token: 'route-secret-6' } });
    await agent.call('a2ui.ingest', {
      payload: { kind: 'message', taskId: 'task-streamed', parts: [{ kind: 'data', data: dataModel('streamed', '/step', 2) }] },
    });
    const surface = (await agent.call('a2ui.get', { surfaceId: 'streamed' }))!;
    assert.deepEqual(surface.owner, { kind: 'a2a', taskId: 'task-streamed', contextId: 'ctx-streamed', endpoint: peer.url });
    peer.requests.length = 0;
    await agent.call('a2ui.action', { name: 'confirm', surfaceId: 'streamed' });
    assert.equal(peer.requests[0]!.headers.authorization, 'Bearer route-secret-6');
  });

  it('sends credentials only to the endpoint they were recorded with', async () => {
    const second = await startPeer('/second');
    try {
      await agent.call('a2ui.ingest', { payload: task('moved'), endpoint: peer.url, routeAuth: { type: 'bearer', token: 'route-secret-3' } });
      // The peer hands the surface to another endpoint without credentials: the old ones are dropped.
      await agent.call('a2ui.ingest', {
        payload: { taskId: 'task-moved', parts: [{ kind: 'data', data: dataModel('moved', '/x', 1) }] },
        endpoint: second.url,
      });
      const { route } = await agent.call('a2ui.action', { name: 'confirm', surfaceId: 'moved' });
      assert.equal(route.kind === 'a2a' && route.status, 'sent');
      assert.equal(second.requests.length, 1);
      assert.equal(second.requests[0]!.headers.authorization, undefined);
      // A plain apply that re-creates the surface makes it the session's: no continuation at all.
      peer.requests.length = 0;
      await agent.call('a2ui.ingest', { payload: task('recreated'), endpoint: peer.url, routeAuth: { type: 'bearer', token: 'route-secret-4' } });
      await agent.call('a2ui.apply', { envelope: create('recreated') });
      assert.equal((await agent.call('a2ui.action', { name: 'confirm', surfaceId: 'recreated' })).route.kind, 'none');
      assert.equal(peer.requests.length, 0);
    } finally {
      await second.close();
    }
  });
});

describe('expiry and reaping (docs/protocol.md#namespace-a2ui)', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  before(async () => {
    daemon = await startInProcess({ a2uiLimits: { surfaceTtlSeconds: 0.3 } });
    client = await daemon.connect();
  });
  after(async () => {
    await daemon.close();
  });

  it('hides expired surfaces at once, and a2ui.reap deletes them with their route auth and broadcasts the deletion', async () => {
    const seen = events(client);
    await client.call('a2ui/subscribe', {});
    await client.call('a2ui.ingest', {
      payload: { a2ui: create('brief') },
      endpoint: 'http://127.0.0.1:9/a2a',
      routeAuth: { type: 'bearer', token: 'route-secret-5' },
    });
    const dump = inspect(daemon.state, { depth: 8 });
    assert.match(dump, /A2uiRouteAuthStore \{ 1 surface\(s\), values hidden \}/);
    assert.ok(!dump.includes('route-secret-5'));
    const expired = await waitFor(() => (daemon.state.a2ui.get('brief') === null ? true : undefined), 'expiry');
    assert.ok(expired);
    assert.equal(await client.call('a2ui.get', { surfaceId: 'brief' }), null);
    assert.equal(await client.call('a2ui/replay', { surfaceId: 'brief' }), null);
    assert.deepEqual(await client.call('a2ui.surfaces', {}), []);
    await assert.rejects(client.call('a2ui.action', { name: 'late', surfaceId: 'brief' }), isCode(-32010));
    assert.deepEqual(await client.call('a2ui.reap', {}), { removed: ['brief'] });
    assert.deepEqual(await client.call('a2ui.reap', {}), { removed: [] });
    await waitFor(() => seen.find((e) => e.kind === 'a2ui.surface_deleted'), 'deletion event');
    assert.deepEqual(
      seen.find((e) => e.kind === 'a2ui.surface_deleted'),
      { kind: 'a2ui.surface_deleted', result: { surfaceId: 'brief', deleted: true } },
    );
    assert.match(inspect(daemon.state, { depth: 8 }), /A2uiRouteAuthStore \{ 0 surface\(s\), values hidden \}/);
    const reaped = journalEvents(daemon.state.journal).filter((e) => e.kind === 'a2ui_reaped');
    assert.deepEqual(
      reaped.map((e) => e.data),
      [{ removed: ['brief'] }],
    );
  });
});
