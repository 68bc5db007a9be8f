import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { HostEvent } from '../../../src/protocol/host.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { RUN_JS } from '../../helpers/paths.js';
import { assertFailed, gateApproval, outcomeOf } from '../../daemon/host/helpers.js';
import { waitFor } from '../../helpers/wait.js';

interface Follower {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  lines(): string[];
  /** SIGINT, as Ctrl-C would; resolves with the exit code. */
  interrupt(): Promise<number | null>;
}

describe('car host (README.md#command-line-conventions)', () => {
  let daemon: DaemonProcess;
  let agentClient: CarClient;
  const car = (...args: string[]) => runCli([...args, '--url', daemon.url], daemon.env);

  function follow(...args: string[]): Follower {
    const child = spawn(process.execPath, [RUN_JS, ...args, '--url', daemon.url], { env: daemon.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit');
    return {
      child,
      stdout: () => stdout,
      stderr: () => stderr,
      lines: () => stdout.split('\n').filter((line) => line !== ''),
      async interrupt() {
        child.kill('SIGINT');
        const [code] = await exited;
        return code as number | null;
      },
    };
  }

  /** How many sessions are subscribed to host events right now. */
  const hostSubscribers = async () => (await agentClient.call('sessions.list', {})).sessions.filter((session) => session.subscriptions.includes('host')).length;

  before(async () => {
    daemon = await startDaemon();
    agentClient = await daemon.connect();
  });
  after(async () => {
    agentClient.close();
    await daemon.stop();
  });

  it('agents lists registered agents as a table and as JSON', async () => {
    const agent = await agentClient.call('host.register_agent', { id: 'cli-builder', name: 'builder', kind: 'builtin' });
    await agentClient.call('host.set_status', { agent_id: agent.id, status: 'running', current_task: 'compiling the app' });
    const listed = await car('host', 'agents');
    assert.equal(listed.code, 0, listed.stderr);
    const [header, ...rows] = listed.stdout.trim().split('\n');
    assert.match(header!, /^ID\s+NAME\s+KIND\s+STATUS\s+TASK\s+SESSION\s+UPDATED$/);
    assert.ok(
      rows.some((row) => /^cli-builder\s+builder\s+builtin\s+running\s+compiling the app\s+sess-[0-9a-f]{12}\s+\d+s ago$/.test(row)),
      listed.stdout,
    );
    const json = await car('host', 'agents', '--json');
    assert.equal(json.code, 0, json.stderr);
    assert.deepEqual(
      JSON.parse(json.stdout).map((listedAgent: { id: string }) => listedAgent.id),
      ['cli-builder'],
    );
  });

  it('notify emits an event; reserved kinds and bad JSON are refused', async () => {
    const sent = await car('host', 'notify', 'build finished', '--kind', 'ci.done', '--payload', '{"failed":0}', '--agent', 'cli-builder', '--json');
    assert.equal(sent.code, 0, sent.stderr);
    const event = JSON.parse(sent.stdout) as HostEvent;
    assert.deepEqual(
      { kind: event.kind, message: event.message, payload: event.payload, agent_id: event.agent_id },
      { kind: 'ci.done', message: 'build finished', payload: { failed: 0 }, agent_id: 'cli-builder' },
    );
    const human = await car('host', 'notify', 'plain text');
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /^\s+\d+\s+\d\d:\d\d:\d\d\s+host\.notification\s+-\s+plain text\n$/);
    const reserved = await car('host', 'notify', 'spoof', '--kind', 'approval.resolved');
    assert.equal(reserved.code, 1);
    assert.match(reserved.stderr, /^Error: invalid param 'kind' for `car host notify`: must not start with 'agent.', 'approval.', 'a2ui.' /);
    const badJson = await car('host', 'notify', 'x', '--payload', '{nope');
    assert.equal(badJson.code, 2);
    assert.match(badJson.stderr, /--payload is not valid JSON/);
    const unknownAgent = await car('host', 'notify', 'x', '--agent', 'ghost');
    assert.equal(unknownAgent.code, 1);
    assert.match(unknownAgent.stderr, /unknown agent 'ghost'; list agents with `car host agents`$/m);
  });

  it('events lists recent events oldest first, as a table and as JSON', async () => {
    const table = await car('host', 'events', '--limit', '3');
    assert.equal(table.code, 0, table.stderr);
    const [header, ...rows] = table.stdout.trim().split('\n');
    assert.match(header!, /^SEQ\s+TIME\s+KIND\s+AGENT\s+MESSAGE$/);
    assert.equal(rows.length, 3);
    assert.match(rows[2]!, /host\.notification\s+-\s+plain text$/);
    const json = await car('host', 'events', '--json');
    const { events } = JSON.parse(json.stdout) as { events: HostEvent[] };
    assert.deepEqual(
      events.map((event) => event.sequence),
      events.map((_event, i) => i + 1),
    );
    const tooMany = await car('host', 'events', '--limit', '501');
    assert.equal(tooMany.code, 2);
  });

  it('approve resolves another session’s approval with the host token; twice is a conflict; approvals lists it', async () => {
    const approval = await agentClient.call('host.request_approval', { agent_id: 'cli-builder', title: 'deploy to prod' });
    const pending = await car('host', 'approvals', '--status', 'pending');
    assert.equal(pending.code, 0, pending.stderr);
    const [header, ...rows] = pending.stdout.trim().split('\n');
    assert.match(header!, /^ID\s+STATUS\s+ACTION\s+AGENT\s+OWNER\s+VOTES\s+CREATED$/);
    assert.match(rows.join('\n'), new RegExp(`^${approval.id}\\s+pending\\s+deploy to prod\\s+cli-builder\\s+sess-[0-9a-f]{12}\\s+0/1\\s+\\d+s ago$`, 'm'));

    const approved = await car('host', 'approve', approval.id, '--notes', 'checked');
    assert.equal(approved.code, 0, approved.stderr);
    assert.equal(approved.stdout, `approved ${approval.id} (deploy to prod)\n`);
    const [listed] = (await agentClient.call('host.approvals', { status: 'approved' })).approvals;
    assert.equal(listed!.resolution!.notes, 'checked');
    const again = await car('host', 'deny', approval.id);
    assert.equal(again.code, 1);
    assert.match(again.stderr, new RegExp(`^Error: approval '${approval.id}' is already approved; only pending approvals can be resolved$`, 'm'));
    const unknown = await car('host', 'approve', 'approval-000000000000');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown approval 'approval-000000000000'; list approvals with `car host approvals`$/m);

    const twoKeys = await agentClient.call('host.request_approval', { title: 'two keys', required_approvals: 2 });
    const vote = await car('host', 'approve', twoKeys.id);
    assert.equal(vote.stdout, `approval ${twoKeys.id} has 1 of 2 approvals; waiting for 1 more from other sessions\n`);
    const json = await car('host', 'approvals', '--json');
    assert.equal(JSON.parse(json.stdout).approvals[0].id, twoKeys.id, 'newest first');
  });

  it('deny makes a call parked on the method gate fail with -32003', async () => {
    const caller = await daemon.connect();
    try {
      const call = caller.call('a2ui.ingest', {
        payload: {
          a2ui: { version: 'v0.9', createSurface: { surfaceId: 'cli-gated', catalogId: 'https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json' } },
        },
        endpoint: 'https://agent.example.com/a2a',
        allowUntrustedEndpoint: true,
      });
      const approval = await gateApproval(agentClient, 'a2ui.ingest');
      const listed = await car('host', 'approvals', '--status', 'pending');
      assert.match(listed.stdout, new RegExp(`^${approval.id}\\s+pending\\s+ws\\.method:a2ui\\.ingest\\s+-\\s+system\\s+0/1`, 'm'));
      const outcome = outcomeOf(call);
      const denied = await car('host', 'deny', approval.id, '--notes', 'unknown peer');
      assert.equal(denied.code, 0, denied.stderr);
      assert.equal(denied.stdout, `denied ${approval.id} (ws.method:a2ui.ingest)\n`);
      await assertFailed(outcome, -32003, /was denied/);
    } finally {
      caller.close();
    }
  });

  it('events --follow --json prints the snapshot, then live events once each in order, and exits 0 on Ctrl-C', async () => {
    const before = await hostSubscribers();
    const follower = follow('host', 'events', '--follow', '--json', '--limit', '2');
    await waitFor(() => follower.lines().length >= 2, 'the snapshot lines');
    await waitFor(async () => (await hostSubscribers()) > before, 'the subscription');
    const snapshotLines = follower.lines().map((line) => JSON.parse(line) as HostEvent);
    const agent = await agentClient.call('host.register_agent', { name: 'followed', kind: 'builtin' });
    const note = await agentClient.call('host.notify', { message: 'live one' });
    await agentClient.call('host.unregister_agent', { agent_id: agent.id });
    await waitFor(() => follower.lines().some((line) => line.includes('agent.unregistered')), 'the live events');
    assert.equal(await follower.interrupt(), 0, follower.stderr());

    const printed = follower.lines().map((line) => JSON.parse(line) as HostEvent);
    assert.equal(snapshotLines.length, 2);
    const sequences = printed.map((event) => event.sequence);
    assert.deepEqual(
      sequences,
      [...new Set(sequences)].sort((a, b) => a - b),
      'strictly increasing, no duplicates',
    );
    assert.deepEqual(
      printed.slice(2).map((event) => event.kind),
      ['agent.registered', 'host.notification', 'agent.unregistered'],
    );
    assert.equal(printed[3]!.id, note.id);
  });

  it('approvals --follow --status pending prints live only the events of pending approvals', async () => {
    const before = await hostSubscribers();
    const follower = follow('host', 'approvals', '--follow', '--status', 'pending');
    await waitFor(async () => (await hostSubscribers()) > before, 'the subscription');
    await waitFor(() => follower.stderr().includes('following host events; Ctrl-C to stop'), 'the banner');
    const first = await agentClient.call('host.request_approval', { title: 'first' });
    await agentClient.call('host.resolve_approval', { approval_id: first.id, approved: true });
    const second = await agentClient.call('host.request_approval', { title: 'second' });
    await waitFor(
      () => follower.stdout().includes(`approval '${second.id}'`) || follower.stdout().split('approval.requested').length > 2,
      'the second request',
    );
    assert.equal(await follower.interrupt(), 0, follower.stderr());
    const live = follower.lines().filter((line) => /^\s+\d+\s+\d\d:\d\d:\d\d\s/.test(line));
    assert.deepEqual(
      live.map((line) => line.split(/\s+/)[3]),
      ['approval.requested', 'approval.requested'],
      follower.stdout(),
    );
    await agentClient.call('host.resolve_approval', { approval_id: second.id, approved: false });
  });

  it('agents --follow prints the table, then only agent events, until Ctrl-C', async () => {
    const before = await hostSubscribers();
    const follower = follow('host', 'agents', '--follow');
    await waitFor(async () => (await hostSubscribers()) > before, 'the subscription');
    await waitFor(() => follower.stderr().includes('following host events; Ctrl-C to stop'), 'the banner');
    const agent = await agentClient.call('host.register_agent', { name: 'watched', kind: 'builtin' });
    await agentClient.call('host.notify', { message: 'not an agent event' });
    await agentClient.call('host.set_status', { agent_id: agent.id, status: 'completed' });
    await waitFor(() => follower.stdout().includes('agent.status_changed'), 'the status event');
    assert.equal(await follower.interrupt(), 0, follower.stderr());
    const lines = follower.lines();
    assert.match(lines[0]!, /^ID\s+NAME\s+KIND\s+STATUS/);
    assert.ok(
      lines.some((line) => /^cli-builder\s+builder/.test(line)),
      'the current agents first',
    );
    const live = lines.filter((line) => /^\s+\d+\s+\d\d:\d\d:\d\d\s/.test(line));
    assert.equal(live.length, 2, follower.stdout());
    assert.match(live[0]!, new RegExp(`agent\\.registered\\s+${agent.id}\\s+agent 'watched' registered$`));
    assert.match(live[1]!, new RegExp(`agent\\.status_changed\\s+${agent.id}\\s+agent 'watched' is completed$`));
  });
});
