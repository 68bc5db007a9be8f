import assert from 'node:assert/strict';
import { daemonConfig } from '../../../src/config/daemon.js';
import { readEnvironment } from '../../../src/config/environment.js';
import { describe, it } from 'node:test';
import { InferenceEngine } from '../../../src/daemon/inference/engine.js';
import { ConfigError } from '../../../src/errors.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { STORY, streamEvents, startInference, textOf } from './support.js';
import { journalEvents } from '../../helpers/journal.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

/** The lazy engine, its injection by embedders, `state.inference.generate`, and the engine's bounds (docs/architecture.md#inference-local-and-remote-models). */
describe('inference engine (docs/architecture.md#inference-local-and-remote-models)', () => {
  it('starts lazily on first use; concurrent first callers share one start', async () => {
    const daemon = await startInference();
    try {
      const client = await daemon.connect();
      assert.deepEqual((await client.call('daemon.status', {})).inference, { state: 'idle', model: null }, 'nothing is loaded at daemon start');
      const starts = [daemon.state.inference.getEngine(), daemon.state.inference.getEngine()];
      assert.equal(daemon.state.inference.status().state, 'loading');
      const [first, second] = await Promise.all(starts);
      assert.equal(first, second);
      assert.equal(await daemon.state.inference.getEngine(), first);
      assert.deepEqual((await client.call('daemon.status', {})).inference, { state: 'ready', model: null });

      const results = await Promise.all([1, 2, 3].map(() => client.call('infer', { ...STORY, max_tokens: 10 })));
      assert.ok(results.every((result) => result.text === results[0]!.text));
      assert.deepEqual((await client.call('daemon.status', {})).inference, { state: 'ready', model: 'stories260K' });
      client.close();
    } finally {
      await daemon.close();
    }
  });

  it('keeps one generation model resident: switching waits for the running call, then replaces the model', async () => {
    const daemon = await startInference({ admissionPermits: 2 });
    try {
      const client = await daemon.connect();
      const streaming = client.call('infer_stream', { ...STORY, max_tokens: 8192 });
      const streamId = streaming.id;
      const events = streamEvents(client, streaming);
      await waitFor(() => events.length > 0, 'the stream to start');
      let switched = false;
      const other = client.call('infer', { model: 'llama-2-tiny-random', prompt: 'hello', max_tokens: 8 }).then((result) => ((switched = true), result));
      // Text events go out at most once per MIN_TEXT_INTERVAL_MS, so the stream's progress is counted in text, not events (2000 tokens of this model are ~4,400 characters).
      const seen = textOf(events).length;
      await waitFor(() => textOf(events).length > seen + 4400, 'the stream to go on while the other model waits');
      assert.equal(switched, false, 'the other model is not loaded while a call still uses the resident one');
      assert.equal(daemon.state.inference.status().model, 'stories260K');
      await client.call('inference.stream.cancel', { request_id: streamId });
      assert.equal((await streaming).stop_reason, 'cancelled');
      assert.equal((await other).model_used, 'llama-2-tiny-random');
      assert.deepEqual(daemon.state.inference.status(), { state: 'ready', model: 'llama-2-tiny-random' });
      client.close();
    } finally {
      await daemon.close();
    }
  });

  it('bounds decoding by CAR_LOCAL_DECODE_TIMEOUT_SECS: the text so far comes back with stop_reason local_decode_timeout', async () => {
    const configFrom = (variables: Record<string, string>) =>
      daemonConfig({ bind: '127.0.0.1', allowRemote: false, auth: true, approvals: true }, readEnvironment(variables), {}, tempStateRoot());
    assert.throws(
      () => configFrom({ CAR_LOCAL_DECODE_TIMEOUT_SECS: 'soon' }),
      (error: unknown) => {
        return (
          error instanceof ConfigError &&
          /^CAR_LOCAL_DECODE_TIMEOUT_SECS must be a whole number of seconds \(0 turns the bound off\), got 'soon'$/.test(error.message)
        );
      },
    );
    const daemon = await startInference({ decodeTimeoutMs: configFrom({ CAR_LOCAL_DECODE_TIMEOUT_SECS: '1' }).state.decodeTimeoutMs });
    try {
      const client = await daemon.connect();
      const result = await client.call('infer', { ...STORY, max_tokens: 8192 });
      assert.equal(result.stop_reason, 'local_decode_timeout');
      assert.match(result.text, /Lily/);
      assert.ok(result.usage.output_tokens < 8192);
      client.close();
    } finally {
      await daemon.close();
    }
  });

  it('stops generation and disposes the engine on shutdown', async () => {
    const daemon = await startInference();
    const client = await daemon.connect();
    const closed = new Promise<number>((resolve) => client.onClose((code) => resolve(code)));
    const streaming = client.call('infer_stream', { ...STORY, max_tokens: 8192 });
    streaming.catch(() => undefined);
    const events = streamEvents(client, streaming);
    await waitFor(() => events.length > 0, 'the stream to start');
    await daemon.close();
    assert.equal(await closed, 1001);
    assert.equal(daemon.state.admission.status().permits_in_use, 0);
    await rejectsWith(daemon.state.inference.getEngine(), ErrorCode.Unavailable, /daemon is stopping/);
    assert.deepEqual(journalEvents(daemon.state.journal, 'inference_failed').at(-1)!.data, {
      method: 'infer_stream',
      model: 'stories260K',
      error_kind: 'aborted',
    });
  });
});

describe('embedders and in-process callers (docs/architecture.md#the-composition-root)', () => {
  it('ServerState.withConfig({ inference }) uses the injected engine and leaves it to its owner', async () => {
    const engine = await InferenceEngine.create({ threads: 1 });
    const daemon = await startInference({ inference: engine });
    try {
      assert.equal(engine.threads, 1);
      assert.equal(await daemon.state.inference.getEngine(), engine);
      const client = await daemon.connect();
      assert.deepEqual((await client.call('daemon.status', {})).inference, { state: 'ready', model: null });
      assert.match((await client.call('infer', { ...STORY, max_tokens: 20 })).text, /Lily/);
      client.close();
    } finally {
      await daemon.close();
    }
    const stillUsable = await engine.withGenerationModel({ name: 'stories260K', path: `${SHARED_MODELS}/stories260K.gguf` }, (model) =>
      model.generate({ prompt: 'Once upon a time', maxTokens: 10, temperature: 0 }, {}),
    );
    assert.match(stillUsable.text, /little girl/);
    await engine.dispose();
  });

  it('state.inference.generate takes an admission permit like infer, leaves the queue on abort, and validates its request', async () => {
    const daemon = await startInference({ admissionPermits: 1 });
    try {
      const result = await daemon.state.inference.generate({ ...STORY, max_tokens: 20 }, { sessionId: null });
      assert.match(result.text, /Lily/);
      assert.equal(result.model_used, 'stories260K');

      const held = await daemon.state.admission.acquire();
      const abandon = new AbortController();
      const queued = daemon.state.inference.generate({ ...STORY, max_tokens: 5 }, { signal: abandon.signal });
      // The model is resolved from cached headers first (an await), then the call queues.
      await waitFor(() => daemon.state.admission.status().queued === 1, 'generate to wait for a permit');
      abandon.abort(new Error('meeting stopped'));
      await assert.rejects(queued);
      assert.equal(daemon.state.admission.status().queued, 0);
      held.release();

      await rejectsWith(daemon.state.inference.generate({ prompt: 'x', max_tokens: 0 }), ErrorCode.InvalidParams, /invalid param 'max_tokens' for generate/);
      assert.equal(journalEvents(daemon.state.journal, 'inference_completed')[0]!.data.method, 'generate');
    } finally {
      await daemon.close();
    }
  });

  it('state.inference.generate fails with -32014 when no model is available', async () => {
    const daemon = await startInference({ modelsDir: tempStateRoot('car-empty-models-') });
    try {
      await rejectsWith(daemon.state.inference.generate({ prompt: 'Summarise the meeting.' }), ErrorCode.Unavailable, /^no model file \(\.gguf\) in /);
    } finally {
      await daemon.close();
    }
  });

  it("context_query puts the caller's memory context ahead of the prompt", async () => {
    const daemon = await startInference();
    try {
      const client = await daemon.connect();
      await client.call('memory.add_fact', { subject: 'dragon', body: 'The dragon Sparky lives under the old bridge and loves apples.' });
      await client.call('memory.add_fact', { subject: 'rule', body: 'Stories must be kind.', kind: 'constraint' });
      const plain = await client.call('infer', { ...STORY, max_tokens: 5 });
      const withMemory = await client.call('infer', { ...STORY, max_tokens: 5, context_query: 'dragon bridge' });
      const context = await client.call('memory.build_context', { query: 'dragon bridge', model_context_window: 128 });
      assert.ok(context.includes('Sparky'));
      assert.ok(
        withMemory.usage.input_tokens > plain.usage.input_tokens + 10,
        `memory context adds input: ${plain.usage.input_tokens} → ${withMemory.usage.input_tokens}`,
      );

      const { sessions } = await client.call('sessions.list', {});
      const mine = sessions.find((session) => session.is_self)!.id;
      const summary = await daemon.state.inference.generate({ ...STORY, max_tokens: 5, context_query: 'dragon bridge' }, { sessionId: mine });
      assert.equal(summary.usage.input_tokens, withMemory.usage.input_tokens, 'generate reads the memory of the session it acts for');
      client.close();
    } finally {
      await daemon.close();
    }
  });
});
