import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { AuthPolicy } from '../../../src/daemon/auth/tokens.js';
import { replayJournal } from '../../../src/daemon/journal/replay.js';
import type { HostApproval, HostEvent } from '../../../src/protocol/host.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { collectEvents, selfId } from './helpers.js';
import { rpcError } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { journalEvents } from '../../helpers/journal.js';

/** Agents, approvals, notifications and the ownership rules (docs/protocol.md#ownership), over several real connections. */
describe('host registry (docs/protocol.md#namespace-host)', () => {
  let daemon: InProcessDaemon;
  let owner: CarClient;
  let other: CarClient;
  let host: CarClient;
  let watcher: CarClient;
  let seen: HostEvent[];
  let ownerId: string;
  let hostId: string;

  before(async () => {
    daemon = await startInProcess();
    owner = await daemon.connect();
    other = await daemon.connect();
    host = await daemon.connect({ asHost: true });
    watcher = await daemon.connect();
    seen = collectEvents(watcher);
    await watcher.call('host.subscribe', {});
    [ownerId, hostId] = await Promise.all([selfId(owner), selfId(host)]);
  });
  after(async () => {
    await daemon.close();
  });

  /** The registry as every session sees it, to prove a refused call changed nothing. */
  const registry = async () => ({
    agents: await other.call('host.agents', {}),
    approvals: (await other.call('host.approvals', {})).approvals,
    last: (await other.call('host.events', { limit: 1 })).events[0]?.sequence ?? 0,
  });
  const eventsOf = (kind: string, agentId?: string) => seen.filter((event) => event.kind === kind && (agentId === undefined || event.agent_id === agentId));

  it('registers agents with defaults, lists them for everyone and updates the owner’s agent in place', async () => {
    const agent = await owner.call('host.register_agent', { name: 'builder', kind: 'builtin', capabilities: ['compile'], metadata: { team: 'a' } });
    assert.match(agent.id, /^agent-[0-9a-f]{12}$/);
    assert.equal(agent.status, 'idle');
    assert.equal(agent.session_id, ownerId);
    assert.deepEqual(
      { project: agent.project, current_task: agent.current_task, pid: agent.pid, display: agent.display },
      { project: null, current_task: null, pid: null, display: null },
    );
    assert.ok(
      (await other.call('host.agents', {})).some((listed) => listed.id === agent.id),
      'any session reads every agent',
    );

    const named = await owner.call('host.register_agent', { id: 'fixed-id', name: 'first', kind: 'cli', pid: 4242 });
    const updated = await owner.call('host.register_agent', { id: 'fixed-id', name: 'second', kind: 'cli', project: '/src/app' });
    assert.equal(updated.name, 'second');
    assert.equal(updated.pid, 4242, 'fields left out keep their value');
    assert.equal(updated.project, '/src/app');
    assert.equal(updated.registered_at, named.registered_at);

    await waitFor(() => eventsOf('agent.registered', 'fixed-id').length === 2, 'both agent.registered events');
    const [first, second] = eventsOf('agent.registered', 'fixed-id');
    assert.equal((first!.payload as { updated: boolean }).updated, false);
    assert.equal((second!.payload as { updated: boolean }).updated, true);
    assert.equal((second!.payload as { agent: { name: string } }).agent.name, 'second');
    assert.equal((first!.payload as { agent: { name: string } }).agent.name, 'first');
    const kept = (await other.call('host.events', { limit: 500 })).events.filter((event) => event.kind === 'agent.registered' && event.agent_id === 'fixed-id');
    assert.deepEqual(
      kept.map((event) => (event.payload as { agent: { name: string } }).agent.name),
      ['first', 'second'],
      'the history keeps each agent as it was when the event happened',
    );

    const { sessions } = await other.call('sessions.list', {});
    assert.deepEqual(sessions.find((session) => session.id === ownerId)!.host_agents.sort(), [agent.id, 'fixed-id'].sort());
    assert.deepEqual(sessions.find((session) => session.is_self)!.host_agents, []);
  });

  it('refuses to change another session’s agent, whatever its role, and changes nothing', async () => {
    const agent = await owner.call('host.register_agent', { id: 'guarded', name: 'guarded', kind: 'builtin' });
    const before = await registry();
    for (const intruder of [other, host]) {
      await assert.rejects(
        intruder.call('host.register_agent', { id: 'guarded', name: 'stolen', kind: 'x' }),
        rpcError(-32012, /^agent 'guarded' is owned by another session/),
      );
      await assert.rejects(
        intruder.call('host.set_status', { agent_id: agent.id, status: 'running' }),
        rpcError(-32012, /agent 'guarded' is owned by another session/),
      );
      await assert.rejects(intruder.call('host.unregister_agent', { agent_id: agent.id }), rpcError(-32012, /agent 'guarded' is owned by another session/));
      await assert.rejects(
        intruder.call('host.request_approval', { agent_id: agent.id, title: 'x' }),
        rpcError(-32012, /request approvals only for agents this session registered/),
      );
    }
    assert.deepEqual(await registry(), before);
  });

  it('answers unknown ids, invalid statuses, reserved kinds and bad shapes with the spec’s codes, changing nothing', async () => {
    await owner.call('host.register_agent', { id: 'steady', name: 'steady', kind: 'builtin' });
    const before = await registry();
    await assert.rejects(
      owner.call('host.set_status', { agent_id: 'ghost', status: 'running' }),
      rpcError(-32010, /unknown agent 'ghost'; list agents with host.agents/),
    );
    await assert.rejects(owner.call('host.unregister_agent', { agent_id: 'ghost' }), rpcError(-32010, /unknown agent 'ghost'/));
    await assert.rejects(owner.call('host.notify', { agent_id: 'ghost', message: 'hi' }), rpcError(-32010, /unknown agent 'ghost'/));
    await assert.rejects(owner.call('host.request_approval', { agent_id: 'ghost', title: 'x' }), rpcError(-32010, /unknown agent 'ghost'/));
    await assert.rejects(
      owner.call('host.resolve_approval', { approval_id: 'approval-000000000000', approved: true }),
      rpcError(-32010, /unknown approval 'approval-000000000000'; list approvals with host.approvals/),
    );
    await assert.rejects(
      owner.request('host.set_status', { agent_id: 'steady', status: 'sleeping' }),
      rpcError(-32602, /invalid param 'status' for host.set_status: must be one of idle, running, waiting_for_approval, paused, completed, errored, stopped/),
    );
    for (const kind of ['agent.registered', 'approval.resolved', 'a2ui.action']) {
      await assert.rejects(
        owner.call('host.notify', { kind, message: 'spoof' }),
        rpcError(-32602, /param 'kind' for host.notify: must not start with 'agent.', 'approval.', 'a2ui.'/),
      );
    }
    await assert.rejects(owner.request('host.approvals', { status: 'maybe' }), rpcError(-32602, /param 'status'/));
    await assert.rejects(owner.call('host.events', { limit: 501 }), rpcError(-32602, /must be at most 500/));
    await assert.rejects(owner.call('host.events', { limit: 0 }), rpcError(-32602, /must be at least 1/));
    await assert.rejects(owner.request('host.register_agent', { name: 'x' }), rpcError(-32602, /param 'kind'/));
    await assert.rejects(
      owner.request('host.register_agent', { name: 'x', kind: 'y', colour: 'red' }),
      rpcError(-32602, /unknown param 'colour' for host.register_agent; allowed: id, name/),
    );
    await assert.rejects(owner.request('host.register_agent', { id: 'has space', name: 'x', kind: 'y' }), rpcError(-32602, /param 'id'/));
    await assert.rejects(owner.call('host.request_approval', { title: 'x', required_approvals: 11 }), rpcError(-32602, /must be at most 10/));
    await assert.rejects(owner.request('host.resolve_approval', { approval_id: 'approval-x' }), rpcError(-32602, /pass exactly one of 'approved'/));
    await assert.rejects(
      owner.request('host.resolve_approval', { approval_id: 'approval-x', approved: true, resolution: 'deny' }),
      rpcError(-32602, /pass exactly one of 'approved'/),
    );
    await assert.rejects(
      owner.request('host.resolve_approval', { approval_id: 'approval-x', resolution: 'maybe' }),
      rpcError(-32602, /must be 'approve' or 'deny'/),
    );
    await assert.rejects(
      owner.call('host.notify', { message: 'big', payload: { blob: 'x'.repeat(70_000) } }),
      rpcError(-32013, /'payload' is \d+ bytes of JSON; the limit is 65536/),
    );
    await assert.rejects(owner.call('host.register_agent', { name: 'big', kind: 'x', metadata: { blob: 'x'.repeat(70_000) } }), rpcError(-32013, /'metadata'/));
    assert.deepEqual(await registry(), before);
  });

  it('notifies every subscriber and returns the event', async () => {
    const event = await owner.call('host.notify', { message: 'build finished', payload: { ok: true } });
    assert.equal(event.kind, 'host.notification');
    assert.equal(event.message, 'build finished');
    assert.deepEqual(event.payload, { ok: true });
    assert.match(event.id, /^event-[0-9a-f]{12}$/);
    const custom = await owner.call('host.notify', { kind: 'ci.failed', agent_id: 'steady', message: null });
    assert.equal(custom.kind, 'ci.failed');
    assert.equal(custom.agent_id, 'steady');
    assert.equal(custom.payload, null);
    await waitFor(() => seen.some((seenEvent) => seenEvent.id === custom.id), 'the custom notification');
    assert.deepEqual(
      seen.find((seenEvent) => seenEvent.id === event.id),
      event,
    );
  });

  it('sets status with an event carrying the previous status and the caller’s payload', async () => {
    const agent = await owner.call('host.register_agent', { name: 'runner', kind: 'builtin' });
    const running = await owner.call('host.set_status', {
      agent_id: agent.id,
      status: 'running',
      current_task: 'tests',
      message: 'starting tests',
      payload: { step: 1 },
    });
    assert.equal(running.status, 'running');
    assert.equal(running.current_task, 'tests');
    const paused = await owner.call('host.set_status', { agent_id: agent.id, status: 'paused' });
    assert.equal(paused.current_task, 'tests', 'current_task left out keeps its value');
    const changes = await waitFor(
      () => eventsOf('agent.status_changed', agent.id).length === 2 && eventsOf('agent.status_changed', agent.id),
      'two status events',
    );
    assert.equal(changes[0]!.message, 'starting tests');
    assert.deepEqual(changes[0]!.payload, { status: 'running', previous_status: 'idle', current_task: 'tests', payload: { step: 1 } });
    assert.deepEqual(changes[1]!.payload, { status: 'paused', previous_status: 'running', current_task: 'tests', payload: null });
  });

  it('lets the owner or a host-role session resolve an owned approval, never another client; resolving twice is a conflict', async () => {
    const approval = await owner.call('host.request_approval', { title: 'deploy', description: 'to production', context: { target: 'prod' } });
    assert.match(approval.id, /^approval-[0-9a-f]{12}$/);
    assert.deepEqual(
      { ...approval, id: undefined, created_at: undefined },
      {
        id: undefined,
        agent_id: null,
        action: 'deploy',
        description: 'to production',
        details: { target: 'prod' },
        options: ['approve', 'deny'],
        status: 'pending',
        required_approvals: 1,
        approvals: 0,
        client_id: ownerId,
        created_at: undefined,
        resolved_at: null,
        resolution: null,
      },
    );
    const before = await registry();
    await assert.rejects(
      other.call('host.resolve_approval', { approval_id: approval.id, approved: true }),
      rpcError(-32012, new RegExp(`approval '${approval.id}' belongs to another session; only that session or a host-role session`)),
    );
    await assert.rejects(other.call('host.resolve_approval', { approval_id: approval.id, approved: false }), rpcError(-32012));
    assert.deepEqual(await registry(), before, 'a refused vote changes nothing');

    const resolved = await host.call('host.resolve_approval', { approval_id: approval.id, resolution: 'approve', notes: 'looks fine' });
    assert.equal(resolved.status, 'approved');
    assert.equal(resolved.approvals, 1);
    assert.deepEqual(resolved.resolution, { approved: true, notes: 'looks fine', by_session: hostId });
    assert.ok(resolved.resolved_at);
    const afterResolve = await registry();
    await assert.rejects(
      owner.call('host.resolve_approval', { approval_id: approval.id, approved: false }),
      rpcError(-32011, new RegExp(`^approval '${approval.id}' is already approved`)),
    );
    assert.deepEqual(await registry(), afterResolve);

    const own = await owner.call('host.request_approval', { title: 'rename' });
    const denied = await owner.call('host.resolve_approval', { approval_id: own.id, approved: false });
    assert.equal(denied.status, 'denied');
    assert.equal(denied.resolution!.by_session, ownerId);
    await waitFor(
      () => eventsOf('approval.resolved').some((event) => (event.payload as { approval: HostApproval }).approval.id === own.id),
      'approval.resolved',
    );
    assert.deepEqual(
      (await other.call('host.approvals', { status: 'denied' })).approvals.map((listed) => listed.id),
      [own.id],
    );
    const newestFirst = (await other.call('host.approvals', {})).approvals.map((listed) => listed.id);
    assert.ok(newestFirst.indexOf(own.id) < newestFirst.indexOf(approval.id), 'newest first');
  });

  it('counts each approving session once for multi-approvals; any deny ends it', async () => {
    const secondHost = await daemon.connect({ asHost: true });
    try {
      const approval = await owner.call('host.request_approval', { title: 'two keys', required_approvals: 2 });
      const first = await owner.call('host.resolve_approval', { approval_id: approval.id, approved: true });
      assert.deepEqual({ status: first.status, approvals: first.approvals }, { status: 'pending', approvals: 1 });
      await assert.rejects(
        owner.call('host.resolve_approval', { approval_id: approval.id, approved: true }),
        rpcError(-32011, /this session already approved approval .*; it needs 1 more approval\(s\) from other sessions/),
      );
      await waitFor(
        () => eventsOf('approval.voted').some((event) => (event.payload as { approval: HostApproval }).approval.id === approval.id),
        'approval.voted',
      );
      const second = await host.call('host.resolve_approval', { approval_id: approval.id, approved: true });
      assert.deepEqual(
        { status: second.status, approvals: second.approvals, by: second.resolution!.by_session },
        { status: 'approved', approvals: 2, by: hostId },
      );

      const three = await owner.call('host.request_approval', { title: 'three keys', required_approvals: 3 });
      await host.call('host.resolve_approval', { approval_id: three.id, approved: true });
      const denied = await secondHost.call('host.resolve_approval', { approval_id: three.id, approved: false, notes: 'no' });
      assert.deepEqual({ status: denied.status, approvals: denied.approvals }, { status: 'denied', approvals: 1 });
    } finally {
      secondHost.close();
    }
  });

  it('flips an agent to waiting_for_approval and restores its status once its last approval is settled', async () => {
    const agent = await owner.call('host.register_agent', { name: 'deployer', kind: 'builtin' });
    await owner.call('host.set_status', { agent_id: agent.id, status: 'running', current_task: 'deploy' });
    const first = await owner.call('host.request_approval', { agent_id: agent.id, title: 'push image' });
    const second = await owner.call('host.request_approval', { agent_id: agent.id, title: 'migrate db' });
    const status = async () => (await other.call('host.agents', {})).find((listed) => listed.id === agent.id)!.status;
    assert.equal(await status(), 'waiting_for_approval');
    await host.call('host.resolve_approval', { approval_id: first.id, approved: true });
    assert.equal(await status(), 'waiting_for_approval', 'another approval still keeps it waiting');
    await owner.call('host.resolve_approval', { approval_id: second.id, approved: false });
    assert.equal(await status(), 'running', 'restored to the status it had before');
    const flips = await waitFor(
      () => eventsOf('agent.status_changed', agent.id).length === 3 && eventsOf('agent.status_changed', agent.id),
      'flip and restore events',
    );
    assert.deepEqual(
      flips.map((event) => [(event.payload as { previous_status: string }).previous_status, (event.payload as { status: string }).status]),
      [
        ['idle', 'running'],
        ['running', 'waiting_for_approval'],
        ['waiting_for_approval', 'running'],
      ],
    );

    const third = await owner.call('host.request_approval', { agent_id: agent.id, title: 'again' });
    await owner.call('host.set_status', { agent_id: agent.id, status: 'paused' });
    await owner.call('host.resolve_approval', { approval_id: third.id, approved: true });
    assert.equal(await status(), 'paused', 'a status the owner set while waiting is not overwritten');
  });

  it('unregisters on request, cancelling the agent’s pending approvals', async () => {
    const agent = await owner.call('host.register_agent', { name: 'leaver', kind: 'builtin' });
    const approval = await owner.call('host.request_approval', { agent_id: agent.id, title: 'leave' });
    assert.deepEqual(await owner.call('host.unregister_agent', { agent_id: agent.id }), { ok: true });
    assert.equal(
      (await other.call('host.agents', {})).some((listed) => listed.id === agent.id),
      false,
    );
    const cancelled = (await other.call('host.approvals', {})).approvals.find((listed) => listed.id === approval.id)!;
    assert.equal(cancelled.status, 'cancelled');
    assert.equal(cancelled.resolution, null);
    const gone = await waitFor(() => eventsOf('agent.unregistered', agent.id)[0], 'agent.unregistered');
    assert.deepEqual(gone.payload, { agent_id: agent.id, reason: 'requested' });
    const cancelledEvent = eventsOf('approval.resolved').find((event) => (event.payload as { approval: HostApproval }).approval.id === approval.id);
    assert.ok(cancelledEvent && cancelledEvent.sequence < gone.sequence, 'approvals are cancelled before the agent goes');
    await assert.rejects(owner.call('host.unregister_agent', { agent_id: agent.id }), rpcError(-32010));
  });

  it('tears down on disconnect: owned agents unregistered (owner_disconnected), pending approvals cancelled, events emitted', async () => {
    const leaving = await daemon.connect();
    const leavingId = await selfId(leaving);
    const agent = await leaving.call('host.register_agent', { name: 'ephemeral', kind: 'builtin' });
    const own = await leaving.call('host.request_approval', { title: 'owned, no agent' });
    const forAgent = await leaving.call('host.request_approval', { agent_id: agent.id, title: 'for the agent' });
    const settled = await leaving.call('host.request_approval', { title: 'already settled' });
    await leaving.call('host.resolve_approval', { approval_id: settled.id, approved: true });
    await leaving.call('host.subscribe', {});
    assert.deepEqual((await other.call('sessions.list', {})).sessions.find((session) => session.id === leavingId)!.subscriptions, ['host']);

    await leaving.closeAndWait();
    await waitFor(() => !daemon.state.sessions.has(leavingId), 'session removal');
    assert.equal(
      (await other.call('host.agents', {})).some((listed) => listed.id === agent.id),
      false,
    );
    const approvals = (await other.call('host.approvals', {})).approvals;
    const statusOf = (id: string) => approvals.find((listed) => listed.id === id)!.status;
    assert.deepEqual([statusOf(own.id), statusOf(forAgent.id), statusOf(settled.id)], ['cancelled', 'cancelled', 'approved']);
    const unregistered = await waitFor(() => eventsOf('agent.unregistered', agent.id)[0], 'agent.unregistered');
    assert.deepEqual(unregistered.payload, { agent_id: agent.id, reason: 'owner_disconnected' });
    await waitFor(() => {
      const ids = eventsOf('approval.resolved').map((event) => (event.payload as { approval: HostApproval }).approval);
      return ids.filter((approval) => approval.status === 'cancelled' && [own.id, forAgent.id].includes(approval.id)).length === 2;
    }, 'two cancellations');
  });

  it('journals every mutation with the metadata kinds of docs/protocol.md#journal-kinds', async () => {
    const kinds = new Set(journalEvents(daemon.state.journal).map((event) => event.kind));
    for (const kind of [
      'host_agent_registered',
      'host_agent_unregistered',
      'host_agent_status',
      'approval_requested',
      'approval_resolved',
      'approval_voted',
      'host_notification',
    ]) {
      assert.ok(kinds.has(kind), `journal has ${kind}`);
    }
    const unregistered = journalEvents(daemon.state.journal).filter((event) => event.kind === 'host_agent_unregistered');
    assert.ok(unregistered.some((event) => event.data.reason === 'owner_disconnected'));
    const resolved = journalEvents(daemon.state.journal).filter((event) => event.kind === 'approval_resolved');
    assert.ok(
      resolved.every((event) => typeof event.data.id === 'string' && typeof event.data.status === 'string'),
      'full HostApproval',
    );
    const replayed = replayJournal(daemon.state.journal.file);
    assert.deepEqual(replayed.problems, [], 'car replay knows every host kind');
    assert.deepEqual(
      replayed.host.agents.map((agent) => agent.id).sort(),
      (await other.call('host.agents', {})).map((agent) => agent.id).sort(),
      'replay rebuilds the live agents',
    );
    const liveApprovals = (await other.call('host.approvals', {})).approvals;
    assert.deepEqual(
      Object.fromEntries(replayed.host.approvals.map((approval) => [approval.id, approval.status])),
      Object.fromEntries(liveApprovals.map((approval) => [approval.id, approval.status])),
      'replay rebuilds every approval with its final status',
    );
  });

  it('keeps the event sequence strictly increasing across all kinds', async () => {
    await watcher.call('host.events', {});
    const sequences = seen.map((event) => event.sequence);
    for (let i = 1; i < sequences.length; i++) assert.ok(sequences[i]! > sequences[i - 1]!, `sequence ${sequences[i]} after ${sequences[i - 1]}`);
  });
});

describe('host registry with auth off', () => {
  it('treats every session as host for resolving, even one that never called session.auth', async () => {
    const daemon = await startInProcess({ auth: AuthPolicy.disabled() });
    try {
      const owner = await daemon.connect({ token: null });
      const bystander = await daemon.connect({ token: null });
      const approval = await owner.call('host.request_approval', { title: 'anything' });
      const resolved = await bystander.call('host.resolve_approval', { approval_id: approval.id, approved: true });
      assert.equal(resolved.status, 'approved');
      const agent = await owner.call('host.register_agent', { name: 'mine', kind: 'x' });
      await assert.rejects(bystander.call('host.set_status', { agent_id: agent.id, status: 'running' }), rpcError(-32012), 'agents stay owner-only');
    } finally {
      await daemon.close();
    }
  });
});
