import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { serveModels, type ModelServer } from '../../helpers/model-server.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { withStringKey } from '../../helpers/gguf.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { startInference } from './support.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const STORIES_SHA = '047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b';

/** §23 "Models": pulls from a local mirror (no network here), resumes an interrupted pull, verifies, deletes. */
describe('models.pull and models.delete', () => {
  let server: ModelServer;
  let daemon: InProcessDaemon;
  let modelsDir: string;

  let mirror: string;
  let bigModel: string;

  before(async () => {
    // ipull writes whole 5 MiB chunks, so a resumable cut needs a model larger than that: stories260K with a long description.
    mirror = tempStateRoot('car-mirror-');
    for (const name of readdirSync(SHARED_MODELS)) copyFileSync(join(SHARED_MODELS, name), join(mirror, name));
    copyFileSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), join(mirror, 'ggml-tiny.en.bin'));
    bigModel = join(mirror, 'stories-described.gguf');
    withStringKey(join(SHARED_MODELS, 'stories260K.gguf'), bigModel, 'general.description', 'a long description '.repeat(700_000));
    server = await serveModels(mirror);
    // node-llama-cpp resolves hf: URIs against MODEL_ENDPOINT; it is read at pull time.
    process.env.MODEL_ENDPOINT = server.url;
    daemon = await startInference({ modelsDir: undefined });
    modelsDir = join(daemon.stateRoot, 'models');
  });
  after(async () => {
    delete process.env.MODEL_ENDPOINT;
    await daemon.close();
    await server.close();
  });

  it('resumes a pull that was cut off, with progress, and checks size, checksum and format', async () => {
    const size = statSync(bigModel).size;
    server.stallFrom = 5 * 1024 * 1024;
    const first = await daemon.connect();
    const progress: number[] = [];
    first.on('models.pull.progress', ({ downloaded }) => progress.push(downloaded));
    const cut = first.call('models.pull', { uri: `${server.url}/stories-described.gguf` }).catch((error: Error) => error);
    await waitFor(() => progress.some((downloaded) => downloaded >= 5 * 1024 * 1024), 'the first chunk', 60_000);
    first.close();
    await cut;
    await waitFor(() => existsSync(join(modelsDir, 'stories-described.gguf.ipull')), 'the partial file to be kept');

    server.stallFrom = null;
    server.bytesSent = 0;
    const client = await daemon.connect({ asHost: true });
    const events: { downloaded: number; total: number }[] = [];
    client.on('models.pull.progress', (event) => events.push(event));
    const pulled = await client.call('models.pull', { uri: `${server.url}/stories-described.gguf`, sha256: sha256(bigModel) });
    assert.deepEqual(
      { name: pulled.name, size: pulled.size_bytes, resumed: pulled.resumed, arch: pulled.architecture, chat: pulled.chat_template },
      { name: 'stories-described', size, resumed: true, arch: 'llama', chat: false },
    );
    assert.equal(sha256(join(modelsDir, 'stories-described.gguf')), sha256(bigModel));
    assert.ok(server.bytesSent <= size - 5 * 1024 * 1024, `the second pull fetched ${server.bytesSent} of ${size} bytes: the rest only`);
    assert.equal(events.at(-1)!.downloaded, size);
    assert.ok(!readdirSync(modelsDir).some((name) => name.endsWith('.ipull')), 'no partial file is left');
    const listed = await client.call('models.list', {});
    assert.ok(listed.models.some((model) => model.name === 'stories-described' && model.context_length === 128));
    assert.equal((await client.call('models.pull', { uri: `${server.url}/stories260K.gguf`, sha256: STORIES_SHA })).sha256, STORIES_SHA);
    client.close();
  });

  it('pulls hf: URIs from the configured endpoint, and removes a file that fails its checksum', async () => {
    const client = await daemon.connect({ asHost: true });
    const bad = '0'.repeat(64);
    await rejectsWith(client.call('models.pull', { uri: 'hf:someone/tiny/llama-2-tiny-random.gguf', sha256: bad }), ErrorCode.Unavailable, /has sha256 81f226c6\w+, not the expected 0{64}; the file was removed/);
    assert.equal(existsSync(join(modelsDir, 'llama-2-tiny-random.gguf')), false);
    const pulled = await client.call('models.pull', { uri: 'hf:someone/tiny/llama-2-tiny-random.gguf' });
    assert.equal(pulled.sha256, '81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb');
    assert.ok(server.requests.some((request) => request.path === '/someone/tiny/resolve/main/llama-2-tiny-random.gguf'));
    await rejectsWith(client.call('models.pull', { uri: `${server.url}/for-tests-ggml-tiny.en.bin` }), ErrorCode.InvalidParams, /a \.bin download must be a whisper\.cpp model named ggml-\*\.bin/);
    const whisper = await client.call('models.pull', { uri: `${server.url}/ggml-tiny.en.bin` });
    assert.deepEqual([whisper.name, whisper.architecture], ['ggml-tiny.en', 'whisper']);
    const listed = (await client.call('models.list', {})).models.find((model) => model.name === 'ggml-tiny.en')!;
    assert.deepEqual(listed.roles, ['whisper']);
    client.close();
  });

  it('refuses bad URIs and unknown names, and deletes with the host role only', async () => {
    const client = await daemon.connect();
    await rejectsWith(client.call('models.pull', { uri: 'ftp://example.com/x.gguf' }), ErrorCode.InvalidParams, /param 'uri'.*hf:<owner>\/<repo>\/<file>\.gguf/);
    await rejectsWith(client.call('models.pull', { uri: `${server.url}/missing.gguf` }), ErrorCode.Unavailable, /missing\.gguf/);
    await rejectsWith(client.call('models.delete', { name: 'llama-2-tiny-random' }), ErrorCode.Forbidden, /host-role session/);
    const host = await daemon.connect({ asHost: true });
    await rejectsWith(host.call('models.delete', { name: 'nope' }), ErrorCode.NotFound, /unknown model 'nope'/);
    assert.deepEqual(await host.call('models.delete', { name: 'llama-2-tiny-random' }), { name: 'llama-2-tiny-random', deleted: true });
    assert.equal(existsSync(join(modelsDir, 'llama-2-tiny-random.gguf')), false);
    host.close();
    client.close();
  });
});
