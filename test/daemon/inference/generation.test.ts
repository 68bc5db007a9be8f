import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AuthPolicy } from '../../../src/daemon/auth/tokens.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { InferResult, InferStreamResult } from '../../../src/protocol/inference.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { rawSocket } from '../../helpers/raw-socket.js';
import { STORY, streamEvents, startInference, textOf } from './support.js';
import { journalEvents } from '../../helpers/journal.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

/** `infer`, `infer_stream`, `inference.stream.cancel` and `embed` on the real engine and stories260K (docs/protocol.md#namespace-inference). */
describe('local inference (docs/protocol.md#namespace-inference)', () => {
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInference({ auth: AuthPolicy.disabled() });
  });
  after(async () => {
    await daemon.close();
  });

  it('continues "Once upon a time" greedily with Lily and reports usage, stop reason and timings', async () => {
    const client = await daemon.connect();
    const result = await client.call('infer', { ...STORY, max_tokens: 40 });
    assert.match(result.text, /Lily/);
    assert.deepEqual(Object.keys(result).sort(), [
      'latency_ms',
      'model_used',
      'stop_reason',
      'text',
      'time_to_first_token_ms',
      'tool_calls',
      'trace_id',
      'usage',
    ]);
    assert.equal(result.model_used, 'stories260K');
    assert.equal(result.stop_reason, 'length');
    assert.equal(result.usage.output_tokens, 40);
    assert.ok(result.usage.input_tokens >= 4, `input tokens ${result.usage.input_tokens}`);
    assert.match(result.trace_id, /^tr-[0-9a-f]{12}$/);
    assert.deepEqual(result.tool_calls, []);
    assert.ok(result.time_to_first_token_ms !== null && result.time_to_first_token_ms <= result.latency_ms);

    const again = await client.call('infer', { ...STORY, max_tokens: 40 });
    assert.equal(again.text, result.text, 'greedy decoding is deterministic');
    client.close();
  });

  it('stops at a stop string (which is left out) and answers chat messages', async () => {
    const client = await daemon.connect();
    const stopped = await client.call('infer', { ...STORY, max_tokens: 60, stop: ['Lily'] });
    assert.equal(stopped.stop_reason, 'stop');
    assert.equal(stopped.text.trimEnd(), ', there was a little girl named');

    const chat = await client.call('infer', {
      model: 'stories260K',
      messages: [{ role: 'user', content: 'Tell me a story about a dog.' }],
      system: 'You tell stories.',
      temperature: 0,
      max_tokens: 16,
    });
    assert.ok(chat.text.length > 0);
    assert.ok(chat.usage.input_tokens > stopped.usage.input_tokens, 'the chat template and system prompt are part of the input');
    client.close();
  });

  it('enforces a JSON schema with a grammar, so the output parses and matches it', async () => {
    const client = await daemon.connect();
    const schema = {
      type: 'object',
      properties: { name: { type: 'string' }, age: { type: 'integer' }, mood: { enum: ['happy', 'sad'] } },
      required: ['name', 'age', 'mood'],
      additionalProperties: false,
    };
    const result = await client.call('infer', { ...STORY, max_tokens: 100, response_format: { type: 'json_schema', schema, name: 'person' } });
    assert.equal(result.stop_reason, 'stop', 'the grammar ends the output');
    const parsed = JSON.parse(result.text);
    assert.deepEqual(Object.keys(parsed).sort(), ['age', 'mood', 'name']);
    assert.equal(typeof parsed.name, 'string');
    assert.ok(Number.isInteger(parsed.age));
    assert.ok(['happy', 'sad'].includes(parsed.mood));

    const anyJson = await client.call('infer', { ...STORY, max_tokens: 12, response_format: { type: 'json_object' } });
    assert.match(anyJson.text, /^\s*[{[]/, 'json_object constrains the output to JSON from the first token');
    client.close();
  });

  it('streams every text event before the final response, then usage and stop reason', async () => {
    const socket = await rawSocket(daemon.url);
    socket.send({ jsonrpc: '2.0', id: 'story-1', method: 'infer_stream', params: { ...STORY, max_tokens: 30 } });
    const frames = await socket.until((message) => message.id === 'story-1', 30_000);
    socket.close();
    const response = frames.at(-1);
    const events = frames.slice(0, -1);
    assert.ok(events.every((frame) => frame.method === 'inference.stream.event' && frame.params.request_id === 'story-1'));
    const types = events.map((frame) => frame.params.event.type);
    assert.ok(types.length > 3);
    assert.deepEqual(types.slice(-2), ['usage', 'stop_reason']);
    assert.ok(types.slice(0, -2).every((type) => type === 'text'));
    const result = response.result as InferStreamResult;
    assert.equal(
      events
        .slice(0, -2)
        .map((frame) => frame.params.event.data)
        .join(''),
      result.text,
    );
    assert.match(result.text, /Lily/);
    assert.deepEqual(events.at(-2).params.event, { type: 'usage', ...result.usage, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    assert.deepEqual(events.at(-1).params.event, { type: 'stop_reason', data: 'length' });
    assert.deepEqual(Object.keys(result).sort(), ['model_used', 'stop_reason', 'text', 'tool_calls', 'trace_id', 'usage']);
  });

  it('cancels a stream: the final response carries the text so far and stop_reason "cancelled"', async () => {
    const owner = await daemon.connect();
    const stranger = await daemon.connect();
    const pending = owner.call('infer_stream', { ...STORY, max_tokens: 8192 });
    const requestId = pending.id;
    const events = streamEvents(owner, pending);
    await waitFor(() => events.length > 0, 'the first text event');

    assert.deepEqual(await stranger.call('inference.stream.cancel', { request_id: requestId }), { cancelled: false }, 'only the owner may cancel');
    assert.deepEqual(await owner.call('inference.stream.cancel', { request_id: requestId }), { cancelled: true });
    const result = await pending;
    assert.equal(result.stop_reason, 'cancelled');
    assert.ok(result.text.length > 0);
    assert.equal(textOf(events), result.text, 'the response holds exactly the text that was streamed');
    assert.ok(result.usage!.output_tokens < 8192);
    assert.deepEqual(await owner.call('inference.stream.cancel', { request_id: requestId }), { cancelled: false }, 'a finished stream cannot be cancelled');
    assert.deepEqual(await owner.call('inference.stream.cancel', { request_id: 'never-started' }), { cancelled: false });
    owner.close();
    stranger.close();
  });

  it('streams an error event and then an error response when the call fails', async () => {
    const client = await daemon.connect();
    const streaming = client.call('infer_stream', { model: 'no-such-model', prompt: 'hi' });
    const events = streamEvents(client, streaming);
    const error = await rejectsWith(streaming, ErrorCode.NotFound, /unknown model 'no-such-model'/);
    assert.deepEqual(events, [{ type: 'error', message: error.message }]);
    client.close();
  });

  it("embeds texts in order with the model's dimension, deterministically", async () => {
    const client = await daemon.connect();
    const first = await client.call('embed', { texts: ['the cat sat on the mat', 'stock markets fell today', 'the cat sat on the mat'], model: 'stories260K' });
    assert.equal(first.model_used, 'stories260K');
    assert.equal(first.dimensions, 64);
    assert.equal(first.embeddings.length, 3);
    assert.ok(first.embeddings.every((vector) => vector.length === 64 && vector.every(Number.isFinite)));
    assert.deepEqual(first.embeddings[2], first.embeddings[0]);
    assert.notDeepEqual(first.embeddings[1], first.embeddings[0]);
    const second = await client.call('embed', { texts: ['stock markets fell today'], model: 'stories260K' });
    assert.deepEqual(second.embeddings[0], first.embeddings[1]);
    client.close();
  });

  it('journals metadata only: never the prompt or the generated text', async () => {
    const client = await daemon.connect();
    const result: InferResult = await client.call('infer', { ...STORY, prompt: 'Once upon a time a purple walrus', max_tokens: 12 });
    await client.call('embed', { texts: ['secret embedding text'], model: 'stories260K' });
    await rejectsWith(client.call('infer', { model: 'nope', prompt: 'hidden prompt words' }), ErrorCode.NotFound, /unknown model/);
    const completed = journalEvents(daemon.state.journal, 'inference_completed');
    const entry = completed.find((event) => event.data.trace_id === result.trace_id)!;
    assert.deepEqual(entry.data, {
      method: 'infer',
      model: 'stories260K',
      input_tokens: result.usage.input_tokens,
      output_tokens: result.usage.output_tokens,
      latency_ms: entry.data.latency_ms,
      queued_ms: entry.data.queued_ms,
      stop_reason: 'length',
      trace_id: result.trace_id,
      tool_calls: 0,
    });
    assert.ok(completed.some((event) => event.data.method === 'embed' && event.data.dimensions === undefined));
    assert.deepEqual(journalEvents(daemon.state.journal, 'inference_failed').at(-1)!.data, { method: 'infer', model: 'nope', error_kind: 'not_found' });
    const raw = JSON.stringify([...completed, ...journalEvents(daemon.state.journal, 'inference_failed')]);
    for (const secret of ['walrus', result.text.trim().slice(0, 20), 'secret embedding', 'hidden prompt'])
      assert.ok(!raw.includes(secret), `journal leaks '${secret}'`);
    client.close();
  });
});
