import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { ToolCallContext } from '../../../src/client/tools.js';
import type { InferenceStreamEvent } from '../../../src/protocol/inference.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { startInference, streamEvents } from '../inference/support.js';
import { ASK, WEATHER, forcing } from './support.js';
import { journalEvents } from '../../helpers/journal.js';

/** `infer` calling a client's tools on the real engine (stories260K, one thread), forced by `tool_choice` (issue 23). */
describe('tool calls through the owning client', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  const received: { parameters: Record<string, unknown>; context: ToolCallContext }[] = [];

  before(async () => {
    daemon = await startInference();
    client = await daemon.connect();
    await client.tools.register('weather', WEATHER, (parameters, context) => {
      received.push({ parameters, context });
      return { temperature: 21, sky: 'sunny' };
    });
  });
  after(async () => {
    client.close();
    await daemon.close();
  });

  it('forces a call whose parameters fit the schema, runs it through tools.execute, feeds the result back, and repeats it exactly', async () => {
    const first = await client.call('infer', forcing('weather'));
    assert.equal(first.tool_calls.length, 1);
    const [call] = first.tool_calls;
    assert.match(call!.id, /^call_[0-9a-f]{12}$/);
    assert.equal(call!.tool, 'weather');
    assert.deepEqual(Object.keys(call!.parameters).sort(), ['city', 'days']);
    assert.equal(typeof call!.parameters.city, 'string');
    assert.ok((call!.parameters.city as string).length <= 12, `city fits maxLength: ${JSON.stringify(call!.parameters.city)}`);
    assert.ok([1, 2, 3].includes(call!.parameters.days as number), `days is one of the enum: ${JSON.stringify(call!.parameters.days)}`);
    assert.ok('result' in call! && call!.duration_ms >= 0);
    assert.deepEqual('result' in call! && call!.result, { temperature: 21, sky: 'sunny' });

    assert.equal(received.length, 1);
    assert.deepEqual(received[0]!.parameters, call!.parameters, 'the handler got what the model generated');
    assert.equal(received[0]!.context.requestId, call!.id);
    assert.equal(received[0]!.context.attempt, 1);
    const self = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!.id;
    assert.equal(received[0]!.context.sessionId, self);
    assert.notEqual(first.text, '', 'the model answers after the call');
    assert.ok(first.stop_reason === 'stop' || first.stop_reason === 'length');

    const again = await client.call('infer', forcing('weather'));
    assert.deepEqual(
      again.tool_calls.map(({ tool, parameters }) => ({ tool, parameters })),
      [{ tool: 'weather', parameters: call!.parameters }],
    );
    assert.notEqual(again.tool_calls[0]!.id, call!.id);
    assert.equal(again.text, first.text, 'greedy decoding gives the same round trip');

    const plain = await client.call('infer', ASK);
    assert.deepEqual(plain.tool_calls, []);
    assert.ok(
      first.usage.input_tokens > plain.usage.input_tokens + 100,
      `the tools are documented to the model: ${plain.usage.input_tokens} → ${first.usage.input_tokens}`,
    );
  });

  it('feeds the result back to the model: a different result gives a different answer', async () => {
    const before = await client.call('infer', forcing('weather'));
    await client.tools.register('weather', WEATHER, () => ({ temperature: -40, sky: 'a blizzard of frogs', advice: 'stay in' }));
    try {
      const after = await client.call('infer', forcing('weather'));
      assert.deepEqual(after.tool_calls[0]!.parameters, before.tool_calls[0]!.parameters, 'the call itself is the same');
      assert.notEqual(after.text, before.text);
    } finally {
      await client.tools.register('weather', WEATHER, () => ({ temperature: 21, sky: 'sunny' }));
    }
  });

  it("'required' forces a call of one of the tools; 'none' and 'auto' leave this model free, and it calls nothing", async () => {
    await client.tools.register('news', { description: 'Reads the news' }, () => ['nothing happened']);
    const required = await client.call('infer', { ...ASK, tools: ['weather', 'news'], tool_choice: 'required' });
    assert.equal(required.tool_calls.length, 1);
    assert.ok(['weather', 'news'].includes(required.tool_calls[0]!.tool));
    for (const choice of ['none', 'auto'] as const) {
      const free = await client.call('infer', { ...ASK, tools: ['weather', 'news'], tool_choice: choice });
      assert.deepEqual(free.tool_calls, [], choice);
      assert.notEqual(free.text, '');
    }
    const withoutParameters = await client.call('infer', forcing('news'));
    assert.deepEqual(
      withoutParameters.tool_calls.map(({ tool, parameters }) => ({ tool, parameters })),
      [{ tool: 'news', parameters: {} }],
    );
  });

  it('infer_stream emits tool_call and tool_result before the answer text, and the final result lists the call', async () => {
    const streaming = client.call('infer_stream', forcing('weather'));
    const events = streamEvents(client, streaming);
    const result = await streaming;
    const kinds = events.map((event) => event.type);
    assert.deepEqual(kinds.slice(0, 2), ['tool_call', 'tool_result']);
    assert.deepEqual(kinds.slice(-2), ['usage', 'stop_reason']);
    assert.ok(kinds.slice(2, -2).every((kind) => kind === 'text') && kinds.length > 4, kinds.join(','));
    const [started, finished] = events as [Extract<InferenceStreamEvent, { type: 'tool_call' }>, Extract<InferenceStreamEvent, { type: 'tool_result' }>];
    const [call] = result.tool_calls;
    assert.deepEqual(started, { type: 'tool_call', id: call!.id, tool: 'weather', parameters: call!.parameters });
    assert.deepEqual(finished, {
      type: 'tool_result',
      id: call!.id,
      tool: 'weather',
      duration_ms: call!.duration_ms,
      result: { temperature: 21, sky: 'sunny' },
    });
    const text = events.map((event) => (event.type === 'text' ? event.data : '')).join('');
    assert.equal(text, result.text);
    assert.equal(result.text, (await client.call('infer', forcing('weather'))).text, 'streaming changes nothing in the round trip');
  });

  it('a tool that fails gives the call an error the model reads, and the model still answers', async () => {
    await client.tools.register('flaky', WEATHER, () => {
      throw new Error('the weather station is offline');
    });
    const result = await client.call('infer', forcing('flaky'));
    const [call] = result.tool_calls;
    assert.ok(call && 'error' in call, JSON.stringify(call));
    assert.equal(call.error.kind, 'tool_error');
    assert.equal(call.error.message, "tool 'flaky' failed: the weather station is offline");
    assert.notEqual(result.text, '');
    assert.ok(result.stop_reason === 'stop' || result.stop_reason === 'length');
  });

  it('a client without a handler for its registered tool answers tools.execute with an error, which the call reports', async () => {
    await client.call('tools.register', { tools: [{ name: 'orphan', ...WEATHER }] });
    const [call] = (await client.call('infer', forcing('orphan'))).tool_calls;
    assert.ok(call && 'error' in call);
    assert.deepEqual(call.error, { kind: 'tool_error', message: "tool 'orphan' failed: this client has no handler for tool 'orphan'" });
  });

  it('a result too large for the model, and a tool unregistered before the model calls it, become errors the model reads', async () => {
    await client.tools.register('verbose', WEATHER, () => 'x'.repeat(70_000));
    const [tooLarge] = (await client.call('infer', forcing('verbose'))).tool_calls;
    assert.ok(tooLarge && 'error' in tooLarge);
    assert.deepEqual(tooLarge.error, {
      kind: 'result_too_large',
      message: "tool 'verbose' returned 70002 characters of JSON; at most 65536 reach the model, so return less",
    });

    let ran = false;
    await client.tools.register('fleeting', WEATHER, () => (ran = true));
    const inferring = client.call('infer', forcing('fleeting'));
    await client.tools.unregister('fleeting');
    const [gone] = (await inferring).tool_calls;
    assert.ok(gone && 'error' in gone);
    assert.deepEqual(gone.error, { kind: 'not_registered', message: "tool 'fleeting' is no longer registered by this session, so it did not run" });
    assert.equal(ran, false);
  });

  it('journals each call’s tool name, duration and outcome, never its parameters or result', async () => {
    const result = await client.call('infer', forcing('weather'));
    const [call] = result.tool_calls;
    const entry = journalEvents(daemon.state.journal, 'tool_call').find((event) => event.data.call_id === call!.id);
    assert.deepEqual(entry?.data, { call_id: call!.id, tool: 'weather', duration_ms: call!.duration_ms, outcome: 'ok' });
    const failed = journalEvents(daemon.state.journal, 'tool_call').filter((event) => event.data.tool === 'flaky');
    assert.ok(failed.length > 0 && failed.every((event) => event.data.outcome === 'tool_error'));
    const completed = journalEvents(daemon.state.journal, 'inference_completed').find((event) => event.data.trace_id === result.trace_id);
    assert.equal(completed?.data.tool_calls, 1);
    const text = readFileSync(daemon.state.journal.file, 'utf8');
    assert.ok(!text.includes('sunny') && !text.includes(JSON.stringify(call!.parameters.city)), 'no result or parameter value in the journal');
    assert.ok(!text.includes('weather station is offline'), 'no tool error text in the journal');
  });
});
