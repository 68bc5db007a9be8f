import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { ToolCallCheck } from '../../../src/daemon/inference/remote/tool-call-check.js';
import { ToolCallDeltas } from '../../../src/daemon/inference/remote/tool-call-deltas.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { InferenceStreamEvent } from '../../../src/protocol/inference.js';
import type { ToolCall } from '../../../src/protocol/tools.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { startOpenAiServer, type OpenAiServer } from '../../helpers/openai-server.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { ASK, WEATHER, cancelsSeen, waitsForCancel } from '../tools/support.js';
import { journalEvents } from '../../helpers/journal.js';
import { startInference, streamEvents, textOf } from './support.js';

/** No data for this long fails a remote call; a tool that takes longer must not. */
const STALL_MS = 3000;
const SUNNY = { temperature: 21, sky: 'sunny' };
const forced = (model: string, tool: string) => ({ ...ASK, model, tools: [tool], tool_choice: { name: tool } });

type Errored = Extract<ToolCall, { error: unknown }>;
const errored = (call: ToolCall | undefined): Errored => {
  assert.ok(call && 'error' in call, JSON.stringify(call));
  return call;
};

/** Tool calling passed through to an OpenAI-compatible server (issues 23 and 24), against a real server process that generates calls under the tool's grammar. */
describe('tool calls on remote models', () => {
  let server: OpenAiServer;
  let daemon: InProcessDaemon;
  let host: CarClient;
  let client: CarClient;
  const received: Record<string, unknown>[] = [];

  /** The `tool_choice` of each chat request the server got while `work` ran (`-`: no tools). */
  async function toolChoicesDuring<T>(work: () => Promise<T>): Promise<{ value: T; choices: string[] }> {
    const before = (await server.stats()).tool_choices.length;
    const value = await work();
    return { value, choices: (await server.stats()).tool_choices.slice(before) };
  }

  before(async () => {
    server = await startOpenAiServer();
    daemon = await startInference({ remoteTimeoutMs: STALL_MS });
    host = await daemon.connect({ asHost: true });
    client = await daemon.connect();
    for (const [name, model] of [
      ['gpu', 'stories260K'],
      ['eager', 'stories260K+eager'],
      ['sloppy', 'stories260K+unconstrained'],
      ['loose', 'stories260K+loose'],
      ['twice', 'stories260K+twice'],
      ['stranger', 'stories260K+stranger'],
    ]) {
      await host.call('models.add', { name: name!, url: server.url, model: model! });
    }
    await client.tools.register('weather', WEATHER, (parameters) => {
      received.push(parameters);
      return SUNNY;
    });
  });
  after(async () => {
    client.close();
    host.close();
    await daemon.close();
    await server.close();
  });

  it('a forced call: the server generates it under the schema, the client runs it, the result goes back, the model answers', async () => {
    received.length = 0;
    const { value: result, choices } = await toolChoicesDuring(() => client.call('infer', forced('gpu', 'weather')));
    assert.deepEqual(choices, ['{"type":"function","function":{"name":"weather"}}', '"auto"'], 'forced in the first turn only, then auto');
    assert.equal(result.model_used, 'gpu');
    const [call] = result.tool_calls;
    assert.ok(call && 'result' in call, JSON.stringify(call));
    assert.match(call.id, /^call_[0-9a-f]{12}$/);
    assert.equal(call.tool, 'weather');
    assert.ok(typeof call.parameters.city === 'string' && call.parameters.city.length <= 12, `city fits maxLength: ${JSON.stringify(call.parameters.city)}`);
    assert.ok([1, 2, 3].includes(call.parameters.days as number), `days is one of the enum: ${JSON.stringify(call.parameters.days)}`);
    assert.deepEqual(call.result, SUNNY);
    assert.deepEqual(received, [call.parameters], 'the handler got what the server generated');
    assert.notEqual(result.text, '', 'the model answers after the call');
    assert.equal(result.tool_calls.length, 1);

    // The same request straight to the server generates the same arguments: they are the server's, not made up by the daemon.
    const direct = await fetch(`${server.url}/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        model: 'stories260K',
        messages: [{ role: 'user', content: ASK.prompt }],
        temperature: 0,
        max_tokens: ASK.max_tokens,
        tools: [{ type: 'function', function: { name: 'weather', ...WEATHER } }],
        tool_choice: { type: 'function', function: { name: 'weather' } },
      }),
    });
    const {
      choices: [{ message }],
    } = (await direct.json()) as { choices: [{ message: { tool_calls: [{ function: { arguments: string } }] } }] };
    assert.deepEqual(JSON.parse(message.tool_calls[0].function.arguments), call.parameters);

    const again = await client.call('infer', forced('gpu', 'weather'));
    assert.deepEqual(
      again.tool_calls.map(({ tool, parameters }) => ({ tool, parameters })),
      [{ tool: 'weather', parameters: call.parameters }],
    );
    assert.equal(again.text, result.text, 'greedy decoding gives the same round trip');
    assert.ok(again.usage.input_tokens > 0 && again.usage.output_tokens > 0);
  });

  it('feeds the result back: a different result gives a different answer', async () => {
    const before = await client.call('infer', forced('gpu', 'weather'));
    await client.tools.register('weather', WEATHER, () => ({ temperature: -40, sky: 'a blizzard of frogs', advice: 'stay in' }));
    try {
      const after = await client.call('infer', forced('gpu', 'weather'));
      assert.deepEqual(after.tool_calls[0]!.parameters, before.tool_calls[0]!.parameters, 'the call itself is the same');
      assert.notEqual(after.text, before.text);
    } finally {
      await client.tools.register('weather', WEATHER, (parameters) => {
        received.push(parameters);
        return SUNNY;
      });
    }
  });

  it("'required' picks one of the tools; 'auto' and 'none' send the tools and this server answers in text", async () => {
    await client.tools.register('news', { description: 'Reads the news' }, () => ['nothing happened']);
    const { value: required, choices } = await toolChoicesDuring(() =>
      client.call('infer', { ...ASK, model: 'gpu', tools: ['weather', 'news'], tool_choice: 'required' }),
    );
    assert.deepEqual(choices, ['"required"', '"auto"']);
    assert.equal(required.tool_calls.length, 1);
    assert.ok(['weather', 'news'].includes(required.tool_calls[0]!.tool));
    for (const choice of ['none', 'auto'] as const) {
      const free = await toolChoicesDuring(() => client.call('infer', { ...ASK, model: 'gpu', tools: ['weather', 'news'], tool_choice: choice }));
      assert.deepEqual(free.choices, [JSON.stringify(choice)]);
      assert.deepEqual(free.value.tool_calls, [], choice);
      assert.notEqual(free.value.text, '');
    }
    const [withoutParameters] = (await client.call('infer', forced('gpu', 'news'))).tool_calls;
    assert.deepEqual(withoutParameters && 'result' in withoutParameters && { parameters: withoutParameters.parameters, result: withoutParameters.result }, {
      parameters: {},
      result: ['nothing happened'],
    });
  });

  it('infer_stream emits tool_call and tool_result before the answer text, as for a local model', async () => {
    const streaming = client.call('infer_stream', forced('gpu', 'weather'));
    const events = streamEvents(client, streaming);
    const result = await streaming;
    const kinds = events.map((event) => event.type);
    assert.deepEqual(kinds.slice(0, 2), ['tool_call', 'tool_result']);
    assert.deepEqual(kinds.slice(-2), ['usage', 'stop_reason']);
    assert.ok(kinds.slice(2, -2).every((kind) => kind === 'text') && kinds.length > 4, kinds.join(','));
    const [started, finished] = events as [Extract<InferenceStreamEvent, { type: 'tool_call' }>, Extract<InferenceStreamEvent, { type: 'tool_result' }>];
    const [call] = result.tool_calls;
    assert.deepEqual(started, { type: 'tool_call', id: call!.id, tool: 'weather', parameters: call!.parameters });
    assert.deepEqual(finished, { type: 'tool_result', id: call!.id, tool: 'weather', duration_ms: call!.duration_ms, result: SUNNY });
    assert.equal(textOf(events), result.text);
    assert.equal(result.text, (await client.call('infer', forced('gpu', 'weather'))).text, 'streaming changes nothing in the round trip');
  });

  it('a tool that fails: the model reads the error and still answers', async () => {
    await client.tools.register('flaky', WEATHER, () => {
      throw new Error('the weather station is offline');
    });
    const result = await client.call('infer', forced('gpu', 'flaky'));
    const call = errored(result.tool_calls[0]);
    assert.deepEqual(call.error, { kind: 'tool_error', message: "tool 'flaky' failed: the weather station is offline" });
    assert.notEqual(result.text, '');
    const succeeded = await client.call('infer', forced('gpu', 'weather'));
    assert.deepEqual(succeeded.tool_calls[0]!.parameters, call.parameters, 'the same call');
    assert.notEqual(result.text, succeeded.text, 'the error, not the result, went back to the model');
  });

  it('arguments that are not JSON, or do not fit the schema, become an invalid_call the model reads; the tool never runs', async () => {
    received.length = 0;
    const streaming = client.call('infer_stream', forced('sloppy', 'weather'));
    const events = streamEvents(client, streaming);
    const sloppy = await streaming;
    const notJson = errored(sloppy.tool_calls[0]);
    assert.equal(notJson.error.kind, 'invalid_call');
    assert.match(
      notJson.error.message,
      /^the arguments of the call to 'weather' are not valid JSON \(.+\), so it did not run; call it again with a JSON object that fits its parameters$/,
    );
    assert.deepEqual(notJson.parameters, {});
    assert.deepEqual(events.slice(0, 2), [
      { type: 'tool_call', id: notJson.id, tool: 'weather', parameters: {} },
      { type: 'tool_result', id: notJson.id, tool: 'weather', duration_ms: 0, error: notJson.error },
    ]);
    assert.notEqual(sloppy.text, '', 'the model answers after reading the error');

    const loose = await client.call('infer', forced('loose', 'weather'));
    const unfit = errored(loose.tool_calls[0]);
    assert.equal(unfit.error.kind, 'invalid_call');
    assert.match(
      unfit.error.message,
      /^the arguments of the call to 'weather' do not fit its parameters \(city: Too big: expected string to have <=12 characters\), so it did not run/,
    );
    assert.ok((unfit.parameters.city as string).length > 12, 'the parsed arguments are kept for the caller');
    assert.deepEqual(received, [], 'the tool never ran');
    assert.equal(journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === unfit.id)?.data.outcome, 'invalid_call');
  });

  it('a call of a tool not offered in this request is an invalid_call, even when the session registered it', async () => {
    received.length = 0;
    const deletions: Record<string, unknown>[] = [];
    await client.tools.register('delete_file', { description: 'Deletes a file' }, (parameters) => {
      deletions.push(parameters);
      return { deleted: true };
    });
    const streaming = client.call('infer_stream', forced('stranger', 'weather'));
    const events = streamEvents(client, streaming);
    const result = await streaming;
    const call = errored(result.tool_calls[0]);
    assert.deepEqual(
      { tool: call.tool, error: call.error },
      {
        tool: 'delete_file',
        error: { kind: 'invalid_call', message: "tool 'delete_file' is not one of the tools offered (weather), so nothing ran; call one of those" },
      },
    );
    assert.deepEqual(
      events.slice(0, 2).map((event) => event.type),
      ['tool_call', 'tool_result'],
    );
    assert.deepEqual([deletions, received], [[], []], 'neither the named tool nor the offered one ran');
    assert.equal(journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === call.id)?.data.outcome, 'invalid_call');
    assert.notEqual(result.text, '', 'the model answers after reading the error');
  });

  it('several calls in one turn run one after another, in order, each answered', async () => {
    const spans: [number, number][] = [];
    await client.tools.register('slowish', WEATHER, async () => {
      const start = Date.now();
      await new Promise((resolve) => setTimeout(resolve, 200));
      spans.push([start, Date.now()]);
      return spans.length;
    });
    const result = await client.call('infer', forced('twice', 'slowish'));
    assert.deepEqual(
      result.tool_calls.map((call) => 'result' in call && call.result),
      [1, 2],
    );
    assert.deepEqual(result.tool_calls[0]!.parameters, result.tool_calls[1]!.parameters);
    assert.ok(spans[1]![0] >= spans[0]![1], 'the second started after the first ended');
    assert.notEqual(result.tool_calls[0]!.id, result.tool_calls[1]!.id);
    assert.notEqual(result.text, '', 'the server accepted both results (it refuses a call left unanswered) and answered');
  });

  it('max_tool_rounds: the next turn may not call; a server that calls anyway is refused, then asked without tools', async () => {
    const { value: result, choices } = await toolChoicesDuring(() => client.call('infer', { ...ASK, model: 'eager', tools: ['weather'], max_tool_rounds: 2 }));
    assert.deepEqual(choices, ['"auto"', '"auto"', '"none"', '-']);
    assert.deepEqual(
      result.tool_calls.map((call) => ('error' in call ? call.error.kind : 'ok')),
      ['ok', 'ok', 'invalid_call'],
    );
    assert.equal(
      errored(result.tool_calls[2]).error.message,
      'the 2 turns that may call tools (max_tool_rounds) are used up, so it did not run; answer in text',
    );
    assert.notEqual(result.text, '');

    const none = await toolChoicesDuring(() => client.call('infer', { ...ASK, model: 'eager', tools: ['weather'], tool_choice: 'none' }));
    assert.deepEqual(none.choices, ['"none"', '-']);
    assert.match(errored(none.value.tool_calls[0]).error.message, /^no tool may be called in this request \(tool_choice 'none'\)/);
  });

  it('max_tokens bounds all turns together', async () => {
    const result = await client.call('infer', { ...forced('gpu', 'weather'), max_tokens: 30 });
    assert.equal(result.tool_calls.length, 1);
    assert.ok(result.usage.output_tokens <= 30, `${result.usage.output_tokens} tokens`);
    assert.equal(result.stop_reason, 'length');
  });

  it('a tool slower than the stall timeout is no stall: the watchdog runs only while the server streams', async () => {
    await client.tools.register('slow', WEATHER, () => new Promise((resolve) => setTimeout(() => resolve('done'), STALL_MS + 1000)));
    const result = await client.call('infer', forced('gpu', 'slow'));
    const [call] = result.tool_calls;
    assert.ok(call && 'result' in call && call.duration_ms >= STALL_MS, JSON.stringify(call));
    assert.notEqual(result.text, '');
  });

  it('journals each call’s tool name, duration and outcome, never its parameters or result', async () => {
    const result = await client.call('infer', forced('gpu', 'weather'));
    const [call] = result.tool_calls;
    const entry = journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === call!.id);
    assert.deepEqual(entry?.data, { call_id: call!.id, tool: 'weather', duration_ms: call!.duration_ms, outcome: 'ok' });
    assert.ok(journalEvents(daemon.state.journal, 'tool_call').some((event) => event.data.tool === 'flaky' && event.data.outcome === 'tool_error'));
    const completed = journalEvents(daemon.state.journal, 'inference_completed').find((event) => event.data.trace_id === result.trace_id);
    assert.deepEqual([completed?.data.model, completed?.data.tool_calls], ['gpu', 1]);
    const text = readFileSync(daemon.state.journal.file, 'utf8');
    assert.ok(!text.includes('sunny') && !text.includes(JSON.stringify(call!.parameters.city)), 'no result or parameter value in the journal');
    assert.ok(!text.includes('weather station is offline') && !text.includes('not valid JSON'), 'no error message in the journal');
  });
});

describe('approvals and cancellation of tool calls on remote models', () => {
  let server: OpenAiServer;
  let daemon: InProcessDaemon;
  let host: CarClient;

  /** The remote model's gate is free again and nothing waits for it. */
  async function remotePermitsReleased(): Promise<boolean> {
    const gate = (await host.call('admission.status', {})).remote.find((entry) => entry.model === 'gpu');
    return gate?.permits_in_use === 0 && gate.queued === 0;
  }

  async function registerStuck(client: CarClient): Promise<() => number> {
    let started = 0;
    await client.tools.register(
      'stuck',
      WEATHER,
      waitsForCancel(() => started++),
    );
    return () => started;
  }

  before(async () => {
    server = await startOpenAiServer();
    daemon = await startInference({ remoteTimeoutMs: STALL_MS });
    host = await daemon.connect({ asHost: true });
    await host.call('models.add', { name: 'gpu', url: server.url, model: 'stories260K' });
  });
  after(async () => {
    host.close();
    await daemon.close();
    await server.close();
  });

  it('a high-risk tool waits for the host approval, holding the remote permit, and runs once approved', async () => {
    const owner = await daemon.connect();
    const runs: Record<string, unknown>[] = [];
    await owner.tools.register('delete_file', { ...WEATHER, description: 'Deletes a file', risk: 'high' }, (parameters) => {
      runs.push(parameters);
      return { deleted: true };
    });
    const inferring = owner.call('infer', forced('gpu', 'delete_file'));
    const approval = await waitFor(
      async () => (await host.call('host.approvals', { status: 'pending' })).approvals.find((pending) => pending.action === 'tool:delete_file'),
      'the tool approval',
    );
    assert.equal(approval.details.tool, 'delete_file');
    assert.equal(runs.length, 0, 'nothing runs before the decision');
    assert.equal((await host.call('admission.status', {})).remote.find((gate) => gate.model === 'gpu')?.permits_in_use, 1);
    await host.call('host.resolve_approval', { approval_id: approval.id, approved: true });
    const result = await inferring;
    const [call] = result.tool_calls;
    assert.ok(call && 'result' in call, JSON.stringify(call));
    assert.equal(call.id, approval.details.call_id);
    assert.deepEqual(runs, [call.parameters]);
    assert.deepEqual(approval.details.parameters, call.parameters);
    assert.notEqual(result.text, '');

    const denied = owner.call('infer', forced('gpu', 'delete_file'));
    const second = await waitFor(
      async () => (await host.call('host.approvals', { status: 'pending' })).approvals.find((pending) => pending.action === 'tool:delete_file'),
      'the second approval',
    );
    await host.call('host.resolve_approval', { approval_id: second.id, approved: false });
    assert.equal(errored((await denied).tool_calls[0]).error.kind, 'approval_denied');
    assert.equal(runs.length, 1);
    owner.close();
  });

  it("$/cancelRequest during a call: tools.cancel 'cancelled', -32800, the remote permit released", async () => {
    const client = await daemon.connect();
    const cancels = cancelsSeen(client);
    const started = await registerStuck(client);
    const inferring = client.call('infer', forced('gpu', 'stuck'));
    await waitFor(() => started() === 1, 'the tool to be called');
    client.cancel(inferring.id);
    await rejectsWith(inferring, ErrorCode.RequestCancelled, /was cancelled by the client/);
    await waitFor(() => cancels.length === 1, 'tools.cancel');
    assert.equal(cancels[0]!.reason, 'cancelled');
    await waitFor(remotePermitsReleased, 'the remote permit to be released');
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
    const started = await registerStuck(client);
    const streaming = client.call('infer_stream', forced('gpu', 'stuck'));
    const events = streamEvents(client, streaming);
    await waitFor(() => started() === 1, 'the tool to be called');
    assert.deepEqual(await client.call('inference.stream.cancel', { request_id: streaming.id }), { cancelled: true });
    const result = await streaming;
    assert.equal(result.stop_reason, 'cancelled');
    const call = errored(result.tool_calls[0]);
    assert.equal(call.error.kind, 'cancelled');
    assert.deepEqual(cancels, [{ request_id: call.id, reason: 'cancelled' }]);
    assert.deepEqual(
      events.map((event) => event.type),
      ['tool_call', 'tool_result', 'usage', 'stop_reason'],
    );
    await waitFor(remotePermitsReleased, 'the remote permit to be released');
    client.close();
  });

  it('a cancel while the server writes the answer after a call aborts that HTTP request', async () => {
    const client = await daemon.connect();
    await client.tools.register('weather', WEATHER, () => SUNNY);
    const aborted = (await server.stats()).aborted;
    const streaming = client.call('infer_stream', { ...forced('gpu', 'weather'), max_tokens: 8000, temperature: 1 });
    const events = streamEvents(client, streaming);
    await waitFor(() => events.some((event) => event.type === 'text'), 'answer text after the call');
    client.cancel(streaming.id);
    const result = await streaming;
    assert.equal(result.stop_reason, 'cancelled', 'a cancelled stream ends with the text so far');
    assert.equal(result.text, textOf(events));
    assert.deepEqual(
      result.tool_calls.map((call) => 'result' in call && call.result),
      [SUNNY],
    );
    await waitFor(async () => (await server.stats()).aborted === aborted + 1, 'the server to see the request aborted');
    await waitFor(remotePermitsReleased, 'the remote permit to be released');
    client.close();
  });

  it('an owner that vanishes during a call: its infer stops and the remote permit is released', async () => {
    const client = await daemon.connect();
    const started = await registerStuck(client);
    const self = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!.id;
    void client.call('infer', forced('gpu', 'stuck')).catch(() => undefined);
    await waitFor(() => started() === 1, 'the tool to be called');
    client.close();
    await waitFor(remotePermitsReleased, 'the remote permit to be released');
    const entry = await waitFor(() => journalEvents(daemon.state.journal, 'tool_call').find((event) => event.session_id === self), 'the journaled call');
    assert.equal(entry.data.outcome, 'cancelled');
  });
});

describe('tool calls on remote models through a daemon process', () => {
  let server: OpenAiServer;
  let daemon: DaemonProcess;

  before(async () => {
    server = await startOpenAiServer();
    daemon = await startDaemon();
    const host = await daemon.connect({ asHost: true });
    await host.call('models.add', { name: 'gpu', url: server.url, model: 'stories260K' });
    await host.call('models.add', { name: 'loose', url: server.url, model: 'stories260K+loose' });
    host.close();
  });
  after(async () => {
    await daemon.stop();
    await server.close();
  });

  it('streams the call and its result, then the answer; a call that does not fit the schema never reaches the client', async () => {
    const client = await daemon.connect();
    const runs: Record<string, unknown>[] = [];
    await client.tools.register('weather', WEATHER, (parameters) => {
      runs.push(parameters);
      return SUNNY;
    });
    const streaming = client.call('infer_stream', forced('gpu', 'weather'));
    const events = streamEvents(client, streaming);
    const result = await streaming;
    const [call] = result.tool_calls;
    assert.ok(call && 'result' in call, JSON.stringify(call));
    assert.deepEqual(events.slice(0, 2), [
      { type: 'tool_call', id: call.id, tool: 'weather', parameters: call.parameters },
      { type: 'tool_result', id: call.id, tool: 'weather', duration_ms: call.duration_ms, result: SUNNY },
    ]);
    assert.deepEqual(runs, [call.parameters]);
    assert.notEqual(result.text, '');
    assert.equal(textOf(events), result.text);

    const loose = await client.call('infer', forced('loose', 'weather'));
    assert.equal(errored(loose.tool_calls[0]).error.kind, 'invalid_call');
    assert.equal(runs.length, 1, 'the handler never got the unfit call');
    assert.notEqual(loose.text, '');
    client.close();
  });
});

describe("a remote model's calls, put together and checked", () => {
  it('puts deltas together by index: interleaved calls, the name once, arguments in pieces, an id made up when the server sends none', () => {
    const deltas = new ToolCallDeltas();
    deltas.add([{ index: 1, id: 'b', type: 'function', function: { name: 'news', arguments: '' } }]);
    deltas.add([{ index: 0, function: { name: 'weather', arguments: '{"city"' } }]);
    deltas.add([
      { index: 1, function: { arguments: '{}' } },
      { index: 0, function: { arguments: ': "Paris"}' } },
    ]);
    const [first, second] = deltas.calls();
    assert.deepEqual(second, { id: 'b', name: 'news', arguments: '{}' });
    assert.deepEqual({ ...first, id: undefined }, { id: undefined, name: 'weather', arguments: '{"city": "Paris"}' });
    assert.match(first!.id, /^call_[0-9a-f]{12}$/);
  });

  it('refuses a tool not offered, a call naming none, arguments that are not an object; reads no arguments as {}', () => {
    const check = new ToolCallCheck([{ name: 'weather', parameters: WEATHER.parameters }, { name: 'news' }]);
    const call = (name: string, args: string) => check.check({ id: 'c', name, arguments: args });
    assert.deepEqual(call('weather', '{"city":"Paris","days":2}'), { tool: 'weather', parameters: { city: 'Paris', days: 2 } });
    assert.deepEqual(call('news', ''), { tool: 'news', parameters: {} });
    assert.equal(call('rm_rf', '{}').refused, "tool 'rm_rf' is not one of the tools offered (weather, news), so nothing ran; call one of those");
    assert.equal(call('', '{}').refused, 'the call names no tool of those offered (weather, news), so nothing ran; call one of those');
    assert.equal(call('x'.repeat(500), '{}').tool.length, 64, 'a long name is cut');
    assert.match(call('weather', '[1]').refused!, /are not a JSON object, so it did not run/);
    assert.match(call('weather', '{"days":7}').refused!, /do not fit its parameters \(days: Invalid input\)/);
  });
});
