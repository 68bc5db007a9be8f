import assert from 'node:assert/strict';
import { daemonConfig } from '../../../src/config/daemon.js';
import { readEnvironment } from '../../../src/config/environment.js';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import type { CarClient } from '../../../src/client/node.js';
import { paramsPreview, PREVIEW_CHARS } from '../../../src/daemon/host/params-preview.js';
import { implement } from '../../../src/daemon/rpc/method-table.js';
import { defineMethods, returns } from '../../../src/protocol/descriptor.js';
import { ServerState } from '../../../src/daemon/state/server-state.js';
import type { HostApproval } from '../../../src/protocol/host.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { assertFailed, collectEvents, gateApproval, outcomeOf, selfId } from './helpers.js';
import { rpcError } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { journalEvents } from '../../helpers/journal.js';

const SECRET = 'super-secret-route-token-0123456789';

/** A method table that exists only in these tests: one high-risk method that opts into gate 7. */
function installRiskyMethod(daemon: InProcessDaemon): { runs: string[] } {
  const runs: string[] = [];
  const riskyMethods = defineMethods({
    'test.risky': {
      params: z.strictObject({
        path: z.string(),
        routeAuth: z.unknown().optional(),
        options: z.record(z.string(), z.unknown()).optional(),
      }),
      result: returns<{ ran: string }>(),
    },
  });
  daemon.state.registry.register(
    implement(riskyMethods, {
      'test.risky': {
        needsApproval: () => true,
        handler: (params) => {
          runs.push(params.path);
          return { ran: params.path };
        },
      },
    }),
  );
  return { runs };
}

const pendingState = async (promise: Promise<unknown>) => {
  const marker = Symbol('pending');
  const settled = await Promise.race([
    promise.then(
      () => 'resolved',
      () => 'rejected',
    ),
    new Promise((resolve) => setTimeout(() => resolve(marker), 50)),
  ]);
  return settled === marker ? 'pending' : settled;
};

describe('high-risk method approval gate (docs/protocol.md#approval-gate)', () => {
  let daemon: InProcessDaemon;
  let caller: CarClient;
  let approver: CarClient;
  let runs: string[];

  before(async () => {
    daemon = await startInProcess();
    ({ runs } = installRiskyMethod(daemon));
    caller = await daemon.connect();
    approver = await daemon.connect();
  });
  after(async () => {
    await daemon.close();
  });

  it('parks the call on a system approval until another connection approves it, then runs the handler', async () => {
    const seen = collectEvents(approver);
    await approver.call('host.subscribe', {});
    const call = caller.request('test.risky', {
      path: '/etc/hosts',
      routeAuth: { type: 'bearer', token: SECRET },
      options: { host_token: SECRET, Authorization: `Bearer ${SECRET}`, keep: 1 },
    });
    const requested = await waitFor(() => seen.find((event) => event.kind === 'approval.requested'), 'approval.requested');
    const approval = (requested.payload as { approval: HostApproval }).approval;
    assert.equal(approval.client_id, null, 'a system approval');
    assert.equal(approval.action, 'ws.method:test.risky');
    assert.equal(approval.agent_id, null);
    assert.equal(approval.status, 'pending');
    assert.equal(approval.details.method, 'test.risky');
    assert.equal(approval.details.session_id, await selfId(caller));
    assert.equal(approval.details.params_preview, '{"path":"/etc/hosts","options":{"keep":1}}');
    assert.equal(approval.details.params_truncated, false);
    assert.equal(await pendingState(call), 'pending', 'parked until someone decides');
    assert.deepEqual(runs, []);

    const resolved = await approver.call('host.resolve_approval', { approval_id: approval.id, approved: true });
    assert.equal(resolved.status, 'approved');
    assert.deepEqual(await call, { ran: '/etc/hosts' });
    assert.deepEqual(runs, ['/etc/hosts']);
    const resolvedEvent = await waitFor(() => seen.find((event) => event.kind === 'approval.resolved'), 'approval.resolved');
    assert.equal((resolvedEvent.payload as { approval: HostApproval }).approval.status, 'approved');
    const written = JSON.stringify(journalEvents(daemon.state.journal));
    assert.ok(written.includes(approval.id), 'the approval is journaled');
    assert.equal(written.includes(SECRET), false, 'no secret reaches the journal');
    assert.equal(JSON.stringify(seen).includes(SECRET), false, 'no secret reaches host.event');
    await approver.call('host.unsubscribe', {});
  });

  it('answers -32003 on deny without running the handler, and keeps the connection open', async () => {
    const call = outcomeOf(caller.request('test.risky', { path: '/denied' }));
    const approval = await gateApproval(approver, 'test.risky');
    await approver.call('host.resolve_approval', { approval_id: approval.id, resolution: 'deny', notes: 'not today' });
    await assertFailed(call, -32003, new RegExp(`^approval '${approval.id}' for test.risky was denied, so the call did not run`));
    assert.equal(runs.includes('/denied'), false);
    assert.equal(caller.isOpen, true);
    assert.ok(Array.isArray(await caller.call('host.agents', {})));
  });

  it('cancels the approval when the waiting caller disconnects', async () => {
    const leaving = await daemon.connect();
    void leaving.request('test.risky', { path: '/abandoned' }).catch(() => undefined);
    const approval = await gateApproval(approver, 'test.risky');
    leaving.close();
    const cancelled = await waitFor(() => daemon.state.host.listApprovals('cancelled').find((listed) => listed.id === approval.id), 'the cancellation');
    assert.equal(cancelled.resolution, null);
    await assert.rejects(approver.call('host.resolve_approval', { approval_id: approval.id, approved: true }), rpcError(-32011, /is already cancelled/));
    assert.equal(runs.includes('/abandoned'), false);
  });

  it('cuts the params preview at 512 characters', async () => {
    const call = outcomeOf(caller.request('test.risky', { path: 'p'.repeat(2000) }));
    const approval = await gateApproval(approver, 'test.risky');
    const preview = approval.details.params_preview as string;
    assert.equal(preview.length, PREVIEW_CHARS);
    assert.ok(preview.startsWith('{"path":"ppp') && preview.endsWith('…'));
    assert.equal(approval.details.params_truncated, true);
    await approver.call('host.resolve_approval', { approval_id: approval.id, approved: false });
    await assertFailed(call, -32003);
  });
});

describe('approval gate configuration (docs/protocol.md#approval-gate, withConfig)', () => {
  it('marks an unanswered approval expired and answers -32003 after the configured timeout', async () => {
    const daemon = await startInProcess({ approvalGate: { timeoutMs: 300 } });
    try {
      const { runs } = installRiskyMethod(daemon);
      const caller = await daemon.connect();
      const watcher = await daemon.connect();
      const seen = collectEvents(watcher);
      await watcher.call('host.subscribe', {});
      await assert.rejects(caller.request('test.risky', { path: '/slow' }), rpcError(-32003, /expired: nobody approved it within 1s, so the call did not run/));
      const [expired] = (await watcher.call('host.approvals', { status: 'expired' })).approvals;
      assert.equal(expired!.action, 'ws.method:test.risky');
      assert.ok(expired!.resolved_at);
      await waitFor(
        () => seen.some((event) => event.kind === 'approval.resolved' && (event.payload as { approval: HostApproval }).approval.status === 'expired'),
        'the expiry event',
      );
      await assert.rejects(watcher.call('host.resolve_approval', { approval_id: expired!.id, approved: true }), rpcError(-32011, /is already expired/));
      assert.deepEqual(runs, []);
      assert.equal(caller.isOpen, true);
    } finally {
      await daemon.close();
    }
  });

  it('gates a real method an embedder names in approvalGate.methods', async () => {
    const daemon = await startInProcess({ approvalGate: { methods: ['sessions.list'] } });
    try {
      const caller = await daemon.connect();
      const approver = await daemon.connect();
      const listing = caller.call('sessions.list', {});
      const approval = await gateApproval(approver, 'sessions.list');
      assert.equal(approval.details.params_preview, '{}');
      assert.equal(await pendingState(listing), 'pending');
      await approver.call('host.resolve_approval', { approval_id: approval.id, approved: true });
      assert.equal((await listing).sessions.length, 2);
      assert.equal(daemon.state.approvalGate!.covers('sessions.list'), true);
      assert.equal(daemon.state.approvalGate!.covers('host.agents'), false);
    } finally {
      await daemon.close();
    }
  });

  it('runs gated methods at once, raising no approval, when the gate is disabled', async () => {
    const daemon = await startInProcess({ approvalGate: { enabled: false, methods: ['host.agents'] } });
    try {
      const { runs } = installRiskyMethod(daemon);
      const caller = await daemon.connect();
      assert.deepEqual(await caller.request('test.risky', { path: '/free' }), { ran: '/free' });
      assert.deepEqual(await caller.call('host.agents', {}), []);
      assert.deepEqual(runs, ['/free']);
      assert.deepEqual((await caller.call('host.approvals', {})).approvals, []);
    } finally {
      await daemon.close();
    }
  });

  it('turns the gate off for CAR_NO_APPROVALS=1 or --no-approvals (config module); on by default; an explicit setting wins', async () => {
    const gateOf = (config: Parameters<typeof ServerState.withConfig>[0]) => {
      const state = ServerState.withConfig(config);
      const gate = state.approvalGate!;
      void state.close('test_done');
      return gate;
    };
    const journalDir = tempStateRoot();
    const enabledBy = (variables: Record<string, string>, approvalsFlag = true) =>
      daemonConfig({ bind: '127.0.0.1', allowRemote: false, auth: true, approvals: approvalsFlag }, readEnvironment(variables), {}, journalDir).state
        .approvalGate?.enabled;
    assert.equal(enabledBy({ CAR_NO_APPROVALS: '1' }), false);
    assert.equal(enabledBy({ CAR_NO_APPROVALS: '0' }), true);
    assert.equal(enabledBy({}), true);
    assert.equal(enabledBy({}, false), false);
    assert.equal(gateOf({ journalDir, approvalGate: { enabled: enabledBy({ CAR_NO_APPROVALS: '1' }) } }).enabled, false);
    assert.equal(gateOf({ journalDir, approvalGate: { enabled: true } }).enabled, true);
    const gate = gateOf({ journalDir });
    assert.equal(gate.enabled, true);
    assert.equal((gate as unknown as { timeoutMs: number }).timeoutMs, 60_000, 'default wait');
    assert.throws(() => gateOf({ journalDir, approvalGate: { timeoutMs: 0 } }), /approvalGate.timeoutMs must be a whole number of milliseconds/);
  });

  it('strips credentials at any depth from the preview', () => {
    const { preview } = paramsPreview({
      routeAuth: { type: 'bearer', token: SECRET },
      list: [{ api_key: SECRET, name: 'a' }],
      headers: { 'X-Api-Key': SECRET, Cookie: SECRET, accept: 'json' },
      password: SECRET,
      max_tokens: 5,
    });
    assert.equal(preview, '{"list":[{"name":"a"}],"headers":{"accept":"json"},"max_tokens":5}');
  });
});

describe('approval gate in a real daemon (docs/protocol.md#approval-gate, docs/protocol.md#environment)', () => {
  const ingest = (surfaceId: string) => ({
    payload: { a2ui: { version: 'v0.9', createSurface: { surfaceId, catalogId: 'https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json' } } },
    endpoint: 'https://agent.example.com/a2a',
    routeAuth: { type: 'bearer', token: SECRET },
    allowUntrustedEndpoint: true,
  });

  describe('default daemon', () => {
    let daemon: DaemonProcess;
    before(async () => {
      daemon = await startDaemon();
    });
    after(async () => {
      await daemon.stop();
    });

    it('parks a2ui.ingest with an untrusted endpoint until approved, showing no route credentials', async () => {
      const caller = await daemon.connect();
      const approver = await daemon.connect();
      try {
        const call = caller.call('a2ui.ingest', ingest('gated-surface'));
        const approval = await gateApproval(approver, 'a2ui.ingest');
        assert.equal(approval.client_id, null);
        const preview = approval.details.params_preview as string;
        assert.equal(preview.includes(SECRET), false);
        assert.equal(preview.includes('routeAuth'), false);
        assert.match(preview, /agent\.example\.com/);
        assert.equal(await pendingState(call), 'pending');
        await approver.call('host.resolve_approval', { approval_id: approval.id, approved: true });
        assert.equal((await call).applied[0]!.surfaceId, 'gated-surface');
      } finally {
        caller.close();
        approver.close();
      }
    });
  });

  for (const variant of [
    { name: '--no-approvals', args: ['--no-approvals'], env: {} },
    { name: 'CAR_NO_APPROVALS=1', args: [], env: { CAR_NO_APPROVALS: '1' } },
  ]) {
    it(`runs the same call at once with ${variant.name}`, async () => {
      const daemon = await startDaemon({ args: variant.args, env: variant.env });
      try {
        const client = await daemon.connect();
        const result = await client.call('a2ui.ingest', ingest('ungated-surface'));
        assert.equal(result.applied[0]!.surfaceId, 'ungated-surface');
        assert.deepEqual((await client.call('host.approvals', {})).approvals, []);
        client.close();
      } finally {
        await daemon.stop();
      }
    });
  }
});
