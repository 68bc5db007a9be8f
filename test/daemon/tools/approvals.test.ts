import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { HostApproval } from '../../../src/protocol/host.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { waitFor } from '../../helpers/wait.js';
import { collectEvents } from '../host/helpers.js';
import { startInference } from '../inference/support.js';
import { forcing } from './support.js';
import { journalEvents } from '../../helpers/journal.js';

/** A high-risk tool whose parameters carry a secret the approver must not see. */
const DELETE_FILE = {
  description: 'Deletes a file',
  risk: 'high',
  parameters: { type: 'object', properties: { path: { type: 'string', maxLength: 16 }, api_token: { type: 'string', maxLength: 8 } } },
} as const;

async function registerDeleteFile(client: CarClient): Promise<Record<string, unknown>[]> {
  const runs: Record<string, unknown>[] = [];
  await client.tools.register('delete_file', DELETE_FILE, (parameters) => {
    runs.push(parameters);
    return { deleted: parameters.path };
  });
  return runs;
}

/** The approval a tool call raised, once it is pending. */
async function pendingToolApproval(approver: CarClient): Promise<HostApproval> {
  return waitFor(
    async () => (await approver.call('host.approvals', { status: 'pending' })).approvals.find((approval) => approval.action === 'tool:delete_file'),
    'the tool approval',
  );
}

/** `risk: "high"` tools run only after a host approval (issue 23, docs/protocol.md#approval-gate). */
describe('approvals before high-risk tool calls', () => {
  let daemon: InProcessDaemon;
  let owner: CarClient;
  let approver: CarClient;
  let runs: Record<string, unknown>[];

  before(async () => {
    daemon = await startInference();
    owner = await daemon.connect();
    approver = await daemon.connect({ asHost: true });
    runs = await registerDeleteFile(owner);
  });
  after(async () => {
    owner.close();
    approver.close();
    await daemon.close();
  });

  it('raises a host approval naming the tool with its parameters (secrets removed), and runs the tool once approved', async () => {
    const seen = collectEvents(approver);
    await approver.call('host.subscribe', {});
    const inferring = owner.call('infer', forcing('delete_file'));
    const approval = await pendingToolApproval(approver);
    assert.equal(approval.client_id, null, 'a system approval any signed-in session may resolve');
    assert.match(approval.description ?? '', /the high-risk tool 'delete_file'; it runs only if approved within 60s/);
    assert.deepEqual(Object.keys(approval.details).sort(), ['call_id', 'parameters', 'session_id', 'tool']);
    assert.equal(approval.details.tool, 'delete_file');
    const shown = approval.details.parameters as Record<string, unknown>;
    assert.equal(typeof shown.path, 'string');
    assert.equal('api_token' in shown, false, 'a credential-named parameter is not shown');
    assert.ok(seen.some((event) => event.kind === 'approval.requested' && (event.payload as { approval: HostApproval }).approval.id === approval.id));
    assert.equal(runs.length, 0, 'nothing runs before the decision');

    await approver.call('host.resolve_approval', { approval_id: approval.id, approved: true });
    const result = await inferring;
    const [call] = result.tool_calls;
    assert.ok(call && 'result' in call, JSON.stringify(call));
    assert.equal(call.id, approval.details.call_id);
    assert.equal(call.parameters.path, shown.path);
    assert.equal(typeof call.parameters.api_token, 'string', 'the tool itself gets every parameter');
    assert.deepEqual(call.result, { deleted: call.parameters.path });
    assert.deepEqual(runs, [call.parameters]);

    const journaled = journalEvents(daemon.state.journal, 'approval_requested').find((event) => event.data.id === approval.id);
    assert.deepEqual(journaled?.data.details, { tool: 'delete_file', call_id: call.id, session_id: approval.details.session_id });
    const resolved = journalEvents(daemon.state.journal, 'approval_resolved').find((event) => event.data.id === approval.id);
    assert.deepEqual(resolved?.data.details, journaled?.data.details);
    assert.ok(!readFileSync(daemon.state.journal.file, 'utf8').includes(JSON.stringify(shown.path)), 'the parameters are never journaled');
  });

  it('a denied approval fails the call with approval_denied and the tool never runs', async () => {
    runs.length = 0;
    const inferring = owner.call('infer', forcing('delete_file'));
    const approval = await pendingToolApproval(approver);
    await approver.call('host.resolve_approval', { approval_id: approval.id, approved: false, notes: 'not that file' });
    const result = await inferring;
    const [call] = result.tool_calls;
    assert.ok(call && 'error' in call);
    assert.equal(call.error.kind, 'approval_denied');
    assert.match(call.error.message, new RegExp(`^approval '${approval.id}' for tool 'delete_file' was denied, so the call did not run`));
    assert.deepEqual(runs, []);
    assert.notEqual(result.text, '', 'the model reads the refusal and answers');
    assert.equal(journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === call.id)?.data.outcome, 'approval_denied');
  });

  it('cancelling the infer while the approval is pending cancels the approval', async () => {
    runs.length = 0;
    const inferring = owner.call('infer', forcing('delete_file'));
    const approval = await pendingToolApproval(approver);
    owner.cancel(inferring.id);
    await assert.rejects(inferring);
    await waitFor(
      async () => (await approver.call('host.approvals', {})).approvals.find((found) => found.id === approval.id && found.status === 'cancelled'),
      'the approval to be cancelled',
    );
    assert.deepEqual(runs, []);
  });
});

describe('approvals of tool calls: expiry and the gate turned off', () => {
  it('an approval nobody answers expires, and the call fails with approval_expired', async () => {
    const daemon = await startInference({ approvalGate: { timeoutMs: 300 } });
    try {
      const owner = await daemon.connect();
      const runs = await registerDeleteFile(owner);
      const [call] = (await owner.call('infer', forcing('delete_file'))).tool_calls;
      assert.ok(call && 'error' in call);
      assert.equal(call.error.kind, 'approval_expired');
      assert.match(call.error.message, /for tool 'delete_file' expired: nobody approved it within 1s, so the call did not run/);
      assert.deepEqual(runs, []);
      owner.close();
    } finally {
      await daemon.close();
    }
  });

  it('with approvals off (--no-approvals) a high-risk tool runs at once', async () => {
    const daemon = await startInference({ approvalGate: { enabled: false } });
    try {
      const owner = await daemon.connect();
      const runs = await registerDeleteFile(owner);
      const [call] = (await owner.call('infer', forcing('delete_file'))).tool_calls;
      assert.ok(call && 'result' in call);
      assert.equal(runs.length, 1);
      assert.deepEqual((await owner.call('host.approvals', {})).approvals, []);
      owner.close();
    } finally {
      await daemon.close();
    }
  });
});
