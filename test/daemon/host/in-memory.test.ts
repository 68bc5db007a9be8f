import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Connection } from '../../../src/client/connection.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { HostEvent } from '../../../src/protocol/host.js';
import { inMemoryFixture, openInMemory } from '../../helpers/in-memory-channel.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

/** `host.*` (docs/protocol.md#namespace-host) driven through the in-memory channel: agents, events, subscription and the approvals ACL. */
describe('host over the in-memory channel', () => {
  const fixture = inMemoryFixture();
  let host: Connection;

  before(async () => {
    ({ client: host } = await openInMemory(fixture.state, { asHost: true }));
  });
  after(() => host.close());

  it('registers an agent owned by the calling session and lists it', async () => {
    const { client } = fixture;
    const agent = await client.call('host.register_agent', { id: 'builder', name: 'Builder', kind: 'ci', capabilities: ['build'] });
    assert.equal(agent.id, 'builder');
    assert.equal(agent.status, 'idle');
    assert.deepEqual(agent.capabilities, ['build']);
    assert.deepEqual(
      (await host.call('host.agents', {})).map((listed) => listed.id),
      ['builder'],
    );
  });

  it('delivers a notification to a subscriber and keeps it in host.events', async () => {
    const { client } = fixture;
    const snapshot = await host.call('host.subscribe', {});
    assert.equal(snapshot.subscribed, true);
    assert.deepEqual(
      snapshot.agents.map((agent) => agent.id),
      ['builder'],
    );
    const received: HostEvent[] = [];
    host.on('host.event', (event) => received.push(event));

    const sent = await client.call('host.notify', { kind: 'build.finished', agent_id: 'builder', message: 'green', payload: { ok: true } });
    assert.equal(sent.kind, 'build.finished');
    assert.ok(sent.sequence > snapshot.event_sequence);
    await waitFor(() => received.some((event) => event.id === sent.id), 'the subscriber to receive the notification');
    assert.deepEqual(
      received.find((event) => event.id === sent.id),
      sent,
    );
    assert.deepEqual((await client.call('host.events', { limit: 1 })).events, [sent]);
  });

  it("refuses the daemon's own event kinds and a bad limit with -32602", async () => {
    const { client } = fixture;
    await rejectsWith(client.request('host.notify', { kind: 'agent.spoofed' }), ErrorCode.InvalidParams, /param 'kind'.*must not start with 'agent\.'/);
    await rejectsWith(client.request('host.events', { limit: 501 }), ErrorCode.InvalidParams, /param 'limit'.*at most 500/);
  });

  it("refuses another client session's vote on an approval with -32012; a host session resolves it", async () => {
    const { client } = fixture;
    const approval = await client.call('host.request_approval', { agent_id: 'builder', title: 'deploy to staging' });
    assert.equal(approval.status, 'pending');
    assert.equal(approval.client_id, (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!.id);
    const { client: stranger } = await openInMemory(fixture.state);
    await rejectsWith(
      stranger.request('host.resolve_approval', { approval_id: approval.id, approved: true }),
      ErrorCode.Forbidden,
      /belongs to another session; only that session or a host-role session/,
    );
    stranger.close();
    assert.deepEqual(
      (await client.call('host.approvals', { status: 'pending' })).approvals.map((pending) => pending.id),
      [approval.id],
      'the refused vote left it pending',
    );
    const resolved = await host.call('host.resolve_approval', { approval_id: approval.id, resolution: 'approve' });
    assert.equal(resolved.status, 'approved');
    assert.equal(resolved.resolution?.approved, true);
    assert.deepEqual((await client.call('host.approvals', { status: 'pending' })).approvals, []);
  });
});
