import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { daemonConfig } from '../../../src/config/daemon.js';
import { readEnvironment } from '../../../src/config/environment.js';
import type { CarClient } from '../../../src/client/node.js';
import { ConfigError } from '../../../src/errors.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { startInference, streamEvents } from '../inference/support.js';
import { WEATHER, cancelsSeen, forcing, waitsForCancel } from './support.js';
import { journalEvents } from '../../helpers/journal.js';

/** Every admission permit is free again and nothing waits for one. */
async function permitsReleased(client: CarClient): Promise<boolean> {
  const status = await client.call('admission.status', {});
  return status.permits_available === status.permits_total && status.queued === 0;
}

/** A tool that never answers on its own: it waits for `tools.cancel`, then replies anyway (late). */
async function registerStuck(client: CarClient, options: { timeout_ms?: number } = {}): Promise<{ started: () => number; aborted: () => boolean }> {
  let started = 0;
  let aborted = false;
  const handler = waitsForCancel(() => started++);
  await client.tools.register('stuck', { ...WEATHER, ...options }, (parameters, context) => {
    context.signal.addEventListener('abort', () => (aborted = true));
    return handler(parameters, context);
  });
  return { started: () => started, aborted: () => aborted };
}

/** Time-outs and cancellation of tool calls (issue 23): the client hears `tools.cancel`, the permit is released, late replies are dropped. */
describe('tool call time-outs and cancellation', () => {
  let daemon: InProcessDaemon;
  let host: CarClient;

  before(async () => {
    daemon = await startInference();
    host = await daemon.connect({ asHost: true });
  });
  after(async () => {
    host.close();
    await daemon.close();
  });

  it("ends a call at its timeout_ms with tools.cancel 'timeout'; the model reads the error, the late reply is dropped", async () => {
    const client = await daemon.connect();
    const cancels = cancelsSeen(client);
    const stuck = await registerStuck(client, { timeout_ms: 300 });
    const result = await client.call('infer', forcing('stuck'));
    const [call] = result.tool_calls;
    assert.ok(call && 'error' in call, JSON.stringify(call));
    assert.deepEqual(call.error, {
      kind: 'timeout',
      message: "tool 'stuck' did not answer within 300 ms; it was cancelled (raise its timeout_ms if it needs longer)",
    });
    assert.ok(call.duration_ms >= 300, `waited the timeout: ${call.duration_ms} ms`);
    assert.deepEqual(cancels, [{ request_id: call.id, reason: 'timeout' }]);
    assert.equal(stuck.started(), 1);
    assert.equal(stuck.aborted(), true, "the handler's signal aborted");
    assert.notEqual(result.text, '', 'the model answers after the failed call');
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(
      (await client.call('tools.list', {})).tools.map((tool) => tool.name),
      ['stuck'],
      'the late reply changed nothing; the session serves on',
    );
    assert.equal(journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === call.id)?.data.outcome, 'timeout');
    client.close();
  });

  it("$/cancelRequest on the infer sends tools.cancel 'cancelled', answers -32800 and releases the permit", async () => {
    const client = await daemon.connect();
    const cancels = cancelsSeen(client);
    const stuck = await registerStuck(client);
    const inferring = client.call('infer', forcing('stuck'));
    await waitFor(() => stuck.started() === 1, 'the tool to be called');
    assert.equal((await host.call('admission.status', {})).permits_in_use, 1, 'the call holds its permit while the tool runs');
    client.cancel(inferring.id);
    await rejectsWith(inferring, ErrorCode.RequestCancelled, /was cancelled by the client/);
    await waitFor(() => cancels.length === 1, 'tools.cancel');
    assert.equal(cancels[0]!.reason, 'cancelled');
    assert.equal(stuck.aborted(), true);
    await waitFor(() => permitsReleased(host), 'the permit to be released');
    const entry = await waitFor(
      () => journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === cancels[0]!.request_id),
      'the journaled call',
    );
    assert.equal(entry.data.outcome, 'cancelled');
    client.close();
  });

  it("inference.stream.cancel during a call ends the stream with stop_reason 'cancelled' and the call cancelled", async () => {
    const client = await daemon.connect();
    const cancels = cancelsSeen(client);
    const stuck = await registerStuck(client);
    const streaming = client.call('infer_stream', forcing('stuck'));
    const events = streamEvents(client, streaming);
    await waitFor(() => stuck.started() === 1, 'the tool to be called');
    assert.deepEqual(await client.call('inference.stream.cancel', { request_id: streaming.id }), { cancelled: true });
    const result = await streaming;
    assert.equal(result.stop_reason, 'cancelled');
    const [call] = result.tool_calls;
    assert.ok(call && 'error' in call);
    assert.equal(call.error.kind, 'cancelled');
    assert.deepEqual(cancels, [{ request_id: call.id, reason: 'cancelled' }]);
    assert.deepEqual(
      events.filter((event) => event.type.startsWith('tool_')).map((event) => event.type),
      ['tool_call', 'tool_result'],
    );
    await waitFor(() => permitsReleased(host), 'the permit to be released');
    client.close();
  });

  it('a disconnecting owner stops its infer: the permit is released and its tools go', async () => {
    const client = await daemon.connect();
    const stuck = await registerStuck(client);
    const self = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!.id;
    void client.call('infer', forcing('stuck')).catch(() => undefined);
    await waitFor(() => stuck.started() === 1, 'the tool to be called');
    client.close();
    await waitFor(() => permitsReleased(host), 'the permit to be released');
    await waitFor(async () => !(await host.call('tools.list', {})).tools.some((tool) => tool.session_id === self), 'the tools to go');
    const entry = await waitFor(() => journalEvents(daemon.state.journal, 'tool_call').find((event) => event.session_id === self), 'the journaled call');
    assert.equal(entry.data.outcome, 'cancelled');
  });
});

describe('the handler deadline during a tool call', () => {
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInference({ handlerTimeoutMs: 8000 });
  });
  after(async () => {
    await daemon.close();
  });

  it("ends the infer with -32004, sends tools.cancel 'deadline' and releases the permit", async () => {
    const client = await daemon.connect();
    // Warm: the model is loaded, so the deadline falls while the tool runs, not while the engine starts.
    await client.tools.register('quick', WEATHER, () => 'done');
    await client.call('infer', forcing('quick'));
    const cancels = cancelsSeen(client);
    const stuck = await registerStuck(client);
    const started = Date.now();
    await rejectsWith(client.call('infer', forcing('stuck')), ErrorCode.DeadlineExceeded, /handler 'infer' exceeded its 8s response deadline/);
    assert.equal(stuck.started(), 1, `the tool was called before the deadline (${Date.now() - started} ms)`);
    await waitFor(() => cancels.length === 1, 'tools.cancel');
    assert.equal(cancels[0]!.reason, 'deadline');
    await waitFor(() => permitsReleased(client), 'the permit to be released');
    client.close();
  });
});

describe('CAR_LOCAL_DECODE_TIMEOUT_SECS during a tool call', () => {
  it('does not count the wait for the client: a tool slower than the bound still answers', async () => {
    const daemon = await startInference({ decodeTimeoutMs: 6000 });
    try {
      const client = await daemon.connect();
      await client.tools.register('slow', WEATHER, () => new Promise((resolve) => setTimeout(() => resolve('done'), 7000)));
      const result = await client.call('infer', forcing('slow'));
      const [call] = result.tool_calls;
      assert.ok(call && 'result' in call && call.duration_ms >= 7000, JSON.stringify(call));
      assert.notEqual(result.stop_reason, 'local_decode_timeout');
      client.close();
    } finally {
      await daemon.close();
    }
  });
});

describe('CAR_TOOL_TIMEOUT', () => {
  const configFrom = (variables: Record<string, string>) =>
    daemonConfig({ bind: '127.0.0.1', allowRemote: false, auth: true, approvals: true }, readEnvironment(variables), {}, tempStateRoot());

  it('is whole seconds, at least 1', () => {
    for (const bad of ['soon', '0', '1.5']) {
      assert.throws(
        () => configFrom({ CAR_TOOL_TIMEOUT: bad }),
        (error: unknown) => error instanceof ConfigError && error.message === `CAR_TOOL_TIMEOUT must be a whole number of seconds (at least 1), got '${bad}'`,
      );
    }
    assert.equal(configFrom({}).state.toolTimeoutMs, undefined);
  });

  it('is the wait of a tool that sets no timeout_ms', async () => {
    const daemon = await startInference({ toolTimeoutMs: configFrom({ CAR_TOOL_TIMEOUT: '1' }).state.toolTimeoutMs });
    try {
      const client = await daemon.connect();
      await registerStuck(client);
      assert.equal((await client.call('tools.list', {})).tools[0]!.timeout_ms, 1000);
      const [call] = (await client.call('infer', forcing('stuck'))).tool_calls;
      assert.ok(call && 'error' in call);
      assert.equal(call.error.kind, 'timeout');
      assert.match(call.error.message, /did not answer within 1000 ms/);
      client.close();
    } finally {
      await daemon.close();
    }
  });
});
