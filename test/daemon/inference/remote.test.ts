import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { MeetingSummarizer } from '../../../src/daemon/meetings/summarizer.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { RemoteModelInfo } from '../../../src/protocol/inference.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { httpServer } from '../../helpers/model-server.js';
import { startOpenAiServer, type OpenAiServer } from '../../helpers/openai-server.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { STORY, startInference, streamEvents, textOf } from './support.js';

const KEY = 'sk-car-test-0123456789abcdef';
const WRONG_KEY = 'sk-car-wrong-9876543210zyxwvu';
const KEY_VARIABLE = 'CAR_TEST_REMOTE_KEY';
const STALL_MS = 2000;

/** Every file under `dir`, read as text. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name), 'latin1'));
}

/** Issue 24: OpenAI-compatible servers as models beside the local ones, against a real server process on node-llama-cpp. */
describe('remote models', () => {
  let server: OpenAiServer;
  let open: OpenAiServer;
  let daemon: InProcessDaemon;
  let host: CarClient;
  let keyFile: string;
  let wrongKeyFile: string;

  before(async () => {
    [server, open] = await Promise.all([startOpenAiServer({ apiKey: KEY }), startOpenAiServer()]);
    const secrets = tempStateRoot('car-keys-');
    keyFile = join(secrets, 'key');
    wrongKeyFile = join(secrets, 'wrong');
    writeFileSync(keyFile, `${KEY}\n`, { mode: 0o600 });
    writeFileSync(wrongKeyFile, WRONG_KEY, { mode: 0o600 });
    process.env[KEY_VARIABLE] = KEY;
    daemon = await startInference({ remoteTimeoutMs: STALL_MS });
    host = await daemon.connect({ asHost: true });
  });
  after(async () => {
    delete process.env[KEY_VARIABLE];
    host.close();
    await daemon.close();
    await Promise.all([server.close(), open.close()]);
  });

  const add = (name: string, model: string, extra: Record<string, unknown> = {}) =>
    host.call('models.add', { name, url: server.url, model, api_key_file: keyFile, ...extra });

  it('adds a remote model (host role), keeps it 0600 without the key, lists it beside the local ones', async () => {
    const client = await daemon.connect();
    await rejectsWith(client.call('models.add', { name: 'gpu', url: server.url, model: 'stories260K' }), ErrorCode.Forbidden, /host/);
    client.close();
    await rejectsWith(host.call('models.add', { name: 'stories260K', url: server.url, model: 'stories260K' }), ErrorCode.Conflict, /already a local model/);
    await rejectsWith(host.call('models.add', { name: 'x', url: 'ftp://a/v1', model: 'm' }), ErrorCode.InvalidParams, /param 'url'/);
    await rejectsWith(
      host.call('models.add', { name: 'x', url: server.url, model: 'm', api_key_file: '/nonexistent/key' }),
      ErrorCode.Unavailable,
      /cannot read its API key file \/nonexistent\/key \(ENOENT\)/,
    );
    const added = await add('gpu', 'stories260K', { max_concurrent: 1 });
    assert.deepEqual(
      { source: added.source, url: added.url, remote: added.remote_model, key: added.api_key, serves: added.serves, max: added.max_concurrent },
      { source: 'remote', url: server.url, remote: 'stories260K', key: { file: keyFile }, serves: [], max: 1 },
    );
    const file = join(daemon.stateRoot, 'remote-models.json');
    assert.equal(statSync(file).mode & 0o777, 0o600);
    assert.ok(!readFileSync(file, 'utf8').includes(KEY), 'the key is referenced, not copied');
    const listed = await host.call('models.list', {});
    const remote = listed.models.find((model): model is RemoteModelInfo => model.name === 'gpu' && model.source === 'remote')!;
    assert.deepEqual([remote.reachable, remote.status, remote.roles], [true, 'ok', []]);
    assert.ok(listed.models.some((model) => model.name === 'stories260K' && model.source === 'local' && model.roles.includes('default')));
    const unknown = await rejectsWith(host.call('infer', { prompt: 'x', model: 'nope' }), ErrorCode.NotFound, /^unknown model 'nope'; available: .*\bgpu\b/);
    assert.ok((unknown.data as { allowed: string[] }).allowed.includes('gpu'), 'the remote model is offered beside the local ones');
  });

  it('infer and infer_stream by name: the same text as the local model, streamed as our events, journaled', async () => {
    const local = await host.call('infer', { ...STORY, max_tokens: 40 });
    const remote = await host.call('infer', { ...STORY, model: 'gpu', max_tokens: 40 });
    assert.equal(remote.text, local.text, 'real generation on the server, greedy');
    assert.match(remote.text, /Lily/);
    assert.deepEqual([remote.model_used, remote.usage.output_tokens, remote.stop_reason], ['gpu', 40, 'length']);
    assert.ok(remote.time_to_first_token_ms !== null);
    // Paced as a remote model slower than the test server sends: 40 tokens from it take under 20 ms, so
    // on a busy host they could all reach the daemon in one read and rightly make one event.
    await add('paced', 'stories260K+paced');
    const streaming = host.call('infer_stream', { ...STORY, model: 'paced', max_tokens: 40 });
    const events = streamEvents(host, streaming);
    const streamed = await streaming;
    assert.equal(textOf(events), local.text);
    assert.ok(events.filter((event) => event.type === 'text').length > 1, 'chunk by chunk');
    assert.deepEqual(events.slice(-2), [
      { type: 'usage', input_tokens: remote.usage.input_tokens, output_tokens: 40, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 },
      { type: 'stop_reason', data: 'length' },
    ]);
    assert.equal(streamed.text, local.text);
    const journal = () =>
      readdirSync(join(daemon.stateRoot, 'journals'))
        .map((name) => readFileSync(join(daemon.stateRoot, 'journals', name), 'utf8'))
        .join('');
    await waitFor(() => /"kind":"inference_completed".*"method":"infer_stream","model":"paced"/.test(journal()), 'the stream journaled under the remote model');
  });

  it('routes by role and setting: infer, embed and summaries without a model name', async () => {
    await add('chatty', 'stories260K', { roles: ['chat', 'embedding'] });
    const before = await server.stats();
    const routed = await host.call('infer', { prompt: 'Once upon a time', temperature: 0, max_tokens: 10 });
    assert.equal(routed.model_used, 'chatty');
    const local = await host.call('embed', { texts: ['a cat', 'a dog'], model: 'stories260K' });
    const remote = await host.call('embed', { texts: ['a cat', 'a dog'] });
    assert.equal(remote.model_used, 'chatty');
    assert.equal(remote.dimensions, 64);
    remote.embeddings.forEach((vector, i) => vector.forEach((value, j) => assert.ok(Math.abs(value - local.embeddings[i]![j]!) < 1e-5)));
    const after = await server.stats();
    assert.deepEqual([after.chat - before.chat, after.embeddings - before.embeddings], [1, 1]);
    const listed = await host.call('models.list', {});
    const holder = listed.models.find((model) => model.name === 'chatty')!;
    assert.deepEqual([holder.roles, holder.why.default], [['default', 'embedding'], 'added with --role chat']);
    assert.ok(!listed.models.some((model) => model.source === 'local' && model.roles.includes('default')), 'one holder per role');

    writeFileSync(join(daemon.stateRoot, 'config.json'), JSON.stringify({ model: 'stories260K', summary: { model: 'gpu' } }));
    assert.equal((await host.call('infer', { prompt: 'Once upon a time', max_tokens: 5 })).model_used, 'stories260K', 'the setting beats the role');
    assert.deepEqual((await host.call('models.list', {})).summary, { model: 'gpu', reason: 'setting `summary.model`' });
    const chats = (await server.stats()).chat;
    const summary = await new MeetingSummarizer(daemon.state.inference).summarize([
      { start: 0, end: 2, text: 'We agreed to ship the release on Friday after the review.' },
    ] as never);
    assert.ok((await server.stats()).chat > chats, 'the summary went to the remote model');
    // TinyStories does not summarise: the check falls back to the extractive summary and names the remote model.
    assert.equal(summary.summary_kind, 'extractive');
    assert.match(summary.summary_reason!, /model 'gpu'/);
    writeFileSync(join(daemon.stateRoot, 'config.json'), '{}');
    await host.call('models.delete', { name: 'chatty' });
  });

  it('cancel aborts the HTTP request: $/cancelRequest, inference.stream.cancel, and a client that vanishes', async () => {
    const long = { model: 'gpu', prompt: 'Once upon a time', max_tokens: 8000, temperature: 1 };
    const aborted = (await server.stats()).aborted;
    const streaming = host.call('infer_stream', long);
    const events = streamEvents(host, streaming);
    await waitFor(() => events.length > 0, 'the first text event');
    assert.deepEqual(await host.call('inference.stream.cancel', { request_id: streaming.id }), { cancelled: true });
    const result = await streaming;
    assert.equal(result.stop_reason, 'cancelled');
    assert.equal(textOf(events), result.text);
    await waitFor(async () => (await server.stats()).aborted === aborted + 1, 'the server to see the request aborted');

    const controller = new AbortController();
    const second = host.call('infer_stream', long, { signal: controller.signal });
    const secondEvents = streamEvents(host, second);
    await waitFor(() => secondEvents.length > 0, 'the first text event');
    controller.abort();
    await assert.rejects(second);
    await waitFor(async () => (await server.stats()).aborted === aborted + 2, '$/cancelRequest to abort the request');

    const leaving = await daemon.connect();
    const third = leaving.call('infer_stream', long);
    const thirdEvents = streamEvents(leaving, third);
    third.catch(() => undefined);
    await waitFor(() => thirdEvents.length > 0, 'the first text event');
    leaving.close();
    await waitFor(async () => (await server.stats()).aborted === aborted + 3, 'the vanished client to abort the request');
  });

  it("queues on the remote model's own gate, reported by admission.status, apart from the local gate", async () => {
    const first = host.call('infer', { model: 'gpu', prompt: 'Once upon a time', max_tokens: 600, temperature: 1 });
    const second = host.call('infer', { model: 'gpu', prompt: 'Once upon a time', max_tokens: 5 });
    await waitFor(async () => (await host.call('admission.status', {})).remote.find((gate) => gate.model === 'gpu')?.queued === 1, 'the second call to queue');
    const status = await host.call('admission.status', {});
    assert.deepEqual(
      status.remote.find((gate) => gate.model === 'gpu'),
      { model: 'gpu', permits_total: 1, permits_in_use: 1, permits_available: 0, queued: 1 },
    );
    assert.equal(status.permits_in_use, 0, 'the local gate is untouched');
    assert.equal((await host.call('infer', { ...STORY, max_tokens: 5 })).model_used, 'stories260K', 'local calls do not wait for the remote queue');
    await Promise.all([first, second]);
  });

  it('faults give clear errors naming status and message, never the key, and the daemon keeps serving', async () => {
    const closed = await httpServer(() => undefined);
    const downUrl = `${closed.url}/v1`;
    await closed.close();
    await host.call('models.add', { name: 'down', url: downUrl, model: 'stories260K' });
    await add('wrong-key', 'stories260K', { api_key_file: wrongKeyFile });
    await host.call('models.add', { name: 'by-env', url: server.url, model: 'stories260K', api_key_env: KEY_VARIABLE });
    await host.call('models.add', { name: 'unset-env', url: server.url, model: 'stories260K', api_key_env: 'CAR_TEST_UNSET_KEY' });
    for (const [name, model] of [
      ['fails', 'stories260K+500'],
      ['cuts', 'stories260K+cut'],
      ['stalls', 'stories260K+stall'],
      ['limited', 'stories260K+429once'],
      ['unknown', 'nope'],
    ] as const)
      await add(name, model);
    const prompt = { prompt: 'Once upon a time', max_tokens: 200, temperature: 0 };

    const down = await rejectsWith(
      host.call('infer', { ...prompt, model: 'down' }),
      ErrorCode.Unavailable,
      /remote model 'down' \(http:\/\/127\.0\.0\.1:\d+\/v1\) cannot be reached: connection refused \(ECONNREFUSED\)/,
    );
    assert.equal(down.data?.kind, 'remote_unreachable');
    const unauthorised = await rejectsWith(
      host.call('infer', { ...prompt, model: 'wrong-key' }),
      ErrorCode.Unavailable,
      /the server answered 401: Incorrect API key provided: \[key\]; check the model's API key/,
    );
    assert.equal(unauthorised.data?.kind, 'remote_auth');
    assert.equal((await host.call('infer', { ...prompt, model: 'by-env', max_tokens: 5 })).model_used, 'by-env');
    await rejectsWith(
      host.call('infer', { ...prompt, model: 'unset-env' }),
      ErrorCode.Unavailable,
      /takes its API key from the variable CAR_TEST_UNSET_KEY, which is not set in the daemon's environment/,
    );
    await rejectsWith(
      host.call('infer', { ...prompt, model: 'fails' }),
      ErrorCode.Unavailable,
      /remote model 'fails' .*: the server answered 500: the test server failed on purpose$/,
    );
    const cut = await rejectsWith(
      host.call('infer_stream', { ...prompt, model: 'cuts' }),
      ErrorCode.Unavailable,
      /remote model 'cuts' .*: the stream was cut after 3 chunks/,
    );
    assert.equal(cut.data?.kind, 'remote_cut');
    const stalled = await rejectsWith(
      host.call('infer', { ...prompt, model: 'stalls' }),
      ErrorCode.Unavailable,
      /remote model 'stalls' .*: no data from the server for 2 s; check the server, or raise CAR_REMOTE_TIMEOUT_SECS/,
    );
    assert.equal(stalled.data?.kind, 'remote_stalled');
    const chats = (await server.stats()).chat;
    assert.equal((await host.call('infer', { ...prompt, model: 'limited', max_tokens: 5 })).model_used, 'limited', 'a 429 with retry-after is retried');
    assert.equal((await server.stats()).chat - chats, 2);
    await rejectsWith(
      host.call('infer', { ...prompt, model: 'unknown' }),
      ErrorCode.Unavailable,
      /the server answered 404: The model 'nope' does not exist; check the URL and the model id/,
    );
    const listed = (await host.call('models.list', {})).models.filter((model): model is RemoteModelInfo => model.source === 'remote');
    assert.deepEqual(
      Object.fromEntries(listed.filter((model) => ['down', 'wrong-key', 'unknown'].includes(model.name)).map((model) => [model.name, model.reachable])),
      { down: false, 'wrong-key': false, unknown: true },
    );
    assert.match(listed.find((model) => model.name === 'unknown')!.status, /does not list model 'nope'/);
    assert.match((await host.call('infer', { ...STORY, max_tokens: 12 })).text, /Lily/, 'the daemon keeps serving');
    for (const text of filesUnder(daemon.stateRoot)) assert.ok(!text.includes(KEY) && !text.includes(WRONG_KEY), 'no key in any file under the state root');
    const status = JSON.stringify(await host.call('daemon.status', {}));
    assert.ok(!status.includes(KEY) && !status.includes(WRONG_KEY));
  });

  it('models.delete removes a remote model (host role)', async () => {
    const client = await daemon.connect();
    await rejectsWith(client.call('models.delete', { name: 'gpu' }), ErrorCode.Forbidden, /host-role session/);
    client.close();
    assert.deepEqual(await host.call('models.delete', { name: 'gpu' }), { name: 'gpu', deleted: true });
    assert.ok(!(await host.call('models.list', {})).models.some((model) => model.name === 'gpu'));
    const gone = await rejectsWith(host.call('infer', { prompt: 'x', model: 'gpu' }), ErrorCode.NotFound, /unknown model 'gpu'/);
    assert.ok(!gone.message.includes('gpu,') && !(gone.data as { allowed: string[] }).allowed.includes('gpu'), 'a deleted remote model is no longer offered');
    assert.ok(!readFileSync(join(daemon.stateRoot, 'remote-models.json'), 'utf8').includes('"gpu"'));
  });
});
