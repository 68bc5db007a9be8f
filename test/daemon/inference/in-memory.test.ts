import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { inMemoryFixture } from '../../helpers/in-memory-channel.js';
import { SHARED_MODELS } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';

/** Admission and the model catalogue (docs/protocol.md#namespace-inference) driven through the in-memory channel on the shared tiny models. */
describe('inference over the in-memory channel', () => {
  const fixture = inMemoryFixture(() => ({ modelsDir: SHARED_MODELS, admissionPermits: 2 }));

  it('reports admission with the permits the embedder chose and none in use', async () => {
    const { client } = fixture;
    const status = await client.call('admission.status', {});
    assert.equal(status.permits_total, 2);
    assert.equal(status.permits_available, 2);
    assert.equal(status.permits_in_use, 0);
    assert.equal(status.queued, 0);
    assert.equal(status.source, 'config');
    assert.ok(status.host_ram_bytes > 0);
  });

  it('lists the shared models with stories260K as the default for generation and embedding', async () => {
    const { client } = fixture;
    const listed = await client.call('models.list', {});
    assert.equal(listed.models_dir, SHARED_MODELS);
    assert.deepEqual(listed.models.map((model) => model.name).sort(), ['for-tests-ggml-tiny.en', 'llama-2-tiny-random', 'stories260K']);
    const stories = listed.models.find((model) => model.name === 'stories260K')!;
    assert.deepEqual(stories.default_for, ['generation', 'embedding']);
    assert.equal(stories.context_length, 128);
    assert.equal(listed.summary.model, null);
  });

  it('refuses bad generation params with -32602 before loading any model', async () => {
    const { client } = fixture;
    await rejectsWith(client.request('infer', { prompt: 'a', max_tokens: 0 }), ErrorCode.InvalidParams, /param 'max_tokens'/);
    await rejectsWith(client.request('infer', { prompt: 'a', model: '../../etc/passwd' }), ErrorCode.InvalidParams, /param 'model'.*not a path/);
  });

  it('generates with stories260K, the default model, and gives the permit back', async () => {
    const { client } = fixture;
    const result = await client.call('infer', { prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
    assert.equal(result.model_used, 'stories260K');
    assert.ok(result.text.length > 0);
    assert.equal((await client.call('admission.status', {})).permits_available, 2);
  });
});
