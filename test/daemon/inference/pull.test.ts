import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { httpServer, serveModels, type ModelServer } from '../../helpers/model-server.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { withStringKey } from '../../helpers/gguf.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { startInference } from './support.js';

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const STORIES_SHA = '047bf46455a544931cff6fef14d7910154c56afbc23ab1c5e56a72e69912c04b';
const STALL_MS = 1000;
const MAX_BYTES = 4 * 2 ** 20;

/** A port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = await httpServer(() => undefined);
  const port = Number(new URL(server.url).port);
  await server.close();
  return port;
}

/** Model pulls (docs/protocol.md#models-pull) and issues 26/27: pulls from local mirrors (no network here), bounded, resumable, failing fast with their cause. */
describe('models.pull and models.delete', () => {
  let server: ModelServer;
  let daemon: InProcessDaemon;
  let modelsDir: string;
  let mirror: string;
  let bigModel: string;

  before(async () => {
    mirror = tempStateRoot('car-mirror-');
    for (const name of readdirSync(SHARED_MODELS)) copyFileSync(join(SHARED_MODELS, name), join(mirror, name));
    copyFileSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), join(mirror, 'ggml-tiny.en.bin'));
    // stories260K with a long description: about 3 MB, so a cut leaves a real partial file.
    bigModel = join(mirror, 'stories-described.gguf');
    withStringKey(join(SHARED_MODELS, 'stories260K.gguf'), bigModel, 'general.description', 'a long description '.repeat(100_000));
    server = await serveModels(mirror);
    daemon = await startInference({ modelsDir: undefined, pulls: { stallMs: STALL_MS, maxBytes: MAX_BYTES, hub: () => ({ endpoint: server.url }) } });
    modelsDir = join(daemon.stateRoot, 'models');
  });
  after(async () => {
    await daemon.close();
    await server.close();
  });

  it('keeps a cut pull as <file>.partial, never listed, and really resumes it', async () => {
    const size = statSync(bigModel).size;
    server.stallFrom = 2 ** 20;
    const first = await daemon.connect({ asHost: true });
    const progress: number[] = [];
    first.on('models.pull.progress', ({ downloaded }) => progress.push(downloaded));
    const cut = first.call('models.pull', { uri: `${server.url}/stories-described.gguf` }).catch((error: Error) => error);
    await waitFor(() => progress.some((downloaded) => downloaded >= 2 ** 20), 'the first MiB', 20_000);
    first.close();
    await cut;
    const partial = join(modelsDir, 'stories-described.gguf.partial');
    await waitFor(() => existsSync(partial) && statSync(partial).size === 2 ** 20, 'the partial file to be kept');
    assert.equal(existsSync(join(modelsDir, 'stories-described.gguf')), false, 'nothing under the final name');

    server.stallFrom = null;
    server.bytesSent = 0;
    const client = await daemon.connect({ asHost: true });
    assert.ok(!(await client.call('models.list', {})).models.some((model) => model.name.startsWith('stories-described')), 'a partial file is not a model');
    const events: { downloaded: number; total: number | null }[] = [];
    client.on('models.pull.progress', (event) => events.push(event));
    const pulled = await client.call('models.pull', { uri: `${server.url}/stories-described.gguf`, sha256: sha256(bigModel) });
    assert.deepEqual(
      { name: pulled.name, size: pulled.size_bytes, resumed: pulled.resumed, arch: pulled.architecture, chat: pulled.chat_template },
      { name: 'stories-described', size, resumed: true, arch: 'llama', chat: false },
    );
    assert.equal(sha256(join(modelsDir, 'stories-described.gguf')), sha256(bigModel));
    assert.equal(server.bytesSent, size - 2 ** 20, 'the second pull fetched only the rest');
    assert.equal(server.gets.at(-1)!.range, `bytes=${2 ** 20}-`);
    assert.deepEqual(events.at(-1), { uri: `${server.url}/stories-described.gguf`, downloaded: size, total: size });
    assert.ok(!readdirSync(modelsDir).some((name) => name.includes('.partial')), 'no partial file is left');
    const listed = await client.call('models.list', {});
    assert.ok(listed.models.some((model) => model.name === 'stories-described' && model.source === 'local' && model.context_length === 128));
    assert.equal((await client.call('models.pull', { uri: `${server.url}/stories260K.gguf`, sha256: STORIES_SHA })).sha256, STORIES_SHA);
    client.close();
  });

  it('pulls hf: URIs from the configured endpoint, and removes a file that fails its checksum', async () => {
    const client = await daemon.connect({ asHost: true });
    const bad = '0'.repeat(64);
    await rejectsWith(
      client.call('models.pull', { uri: 'hf:someone/tiny/llama-2-tiny-random.gguf', sha256: bad }),
      ErrorCode.Unavailable,
      /has sha256 81f226c6\w+, not the expected 0{64}; the file was removed/,
    );
    assert.deepEqual(
      readdirSync(modelsDir).filter((name) => name.startsWith('llama-2-tiny-random')),
      [],
    );
    const pulled = await client.call('models.pull', { uri: 'hf:someone/tiny/llama-2-tiny-random.gguf' });
    assert.equal(pulled.sha256, '81f226c62d28ed4a1a9b9fa080fcd9f0cc40e0f9d5680036583ff98fbcd035cb');
    assert.ok(server.gets.some((request) => request.path === '/someone/tiny/resolve/main/llama-2-tiny-random.gguf'));
    await rejectsWith(
      client.call('models.pull', { uri: `${server.url}/for-tests-ggml-tiny.en.bin` }),
      ErrorCode.InvalidParams,
      /a \.bin download must be a whisper\.cpp model named ggml-\*\.bin/,
    );
    const whisper = await client.call('models.pull', { uri: `${server.url}/ggml-tiny.en.bin` });
    assert.deepEqual([whisper.name, whisper.architecture], ['ggml-tiny.en', 'whisper']);
    const listed = (await client.call('models.list', {})).models.find((model) => model.name === 'ggml-tiny.en')!;
    assert.deepEqual(listed.roles, ['whisper']);
    client.close();
  });

  it('fails at once with the cause when the server refuses, does not resolve, or has no hub route', async () => {
    const client = await daemon.connect({ asHost: true });
    const port = await closedPort();
    await rejectsWith(
      client.call('models.pull', { uri: `http://127.0.0.1:${port}/x.gguf` }),
      ErrorCode.Unavailable,
      /cannot pull 'http:\/\/127\.0\.0\.1:\d+\/x\.gguf': connection refused \(ECONNREFUSED\)$/,
    );
    await rejectsWith(
      client.call('models.pull', { uri: 'http://car-test-host.invalid/x.gguf' }),
      ErrorCode.Unavailable,
      /the host name does not resolve \(ENOTFOUND\)/,
    );
    await rejectsWith(client.call('models.pull', { uri: `${server.url}/missing.gguf` }), ErrorCode.Unavailable, /the server answered 404/);
    const offline = await startInference({ modelsDir: undefined, pulls: { stallMs: 60_000, hub: () => ({ endpoint: 'http://hub.car-test.invalid' }) } });
    try {
      const host = await offline.connect({ asHost: true });
      const error = await rejectsWith(
        host.call('models.pull', { uri: 'hf:someone/tiny/llama-2-tiny-random.gguf' }),
        ErrorCode.Unavailable,
        /does not resolve \(ENOTFOUND\)/,
      );
      assert.equal(error.data?.kind, 'unreachable');
      await rejectsWith(host.call('models.pull', { uri: 'hf:someone/tiny:Q4_K_M' }), ErrorCode.Unavailable, /does not resolve \(ENOTFOUND\)/);
      host.close();
    } finally {
      await offline.close();
    }
    client.close();
  });

  it('ends a silent server after the stall timeout with "no data for N s", keeping what arrived', async () => {
    const client = await daemon.connect({ asHost: true });
    const silent = await httpServer((_request, response) => response.writeHead(200, { 'content-length': '1000000' }).write(Buffer.alloc(1000)));
    const mute = await httpServer(() => undefined);
    try {
      await rejectsWith(
        client.call('models.pull', { uri: `${silent.url}/slow.gguf` }),
        ErrorCode.Unavailable,
        /no data for 1 s; 1000 bytes are kept in slow\.gguf\.partial and the next pull resumes from them/,
      );
      await rejectsWith(client.call('models.pull', { uri: `${mute.url}/mute.gguf` }), ErrorCode.Unavailable, /no data for 1 s \(no response\)/);
      assert.equal(silent.requests, 1, 'no retries');
    } finally {
      await silent.close();
      await mute.close();
      client.close();
    }
  });

  it('bounds a pull: the cap without a length, the announced length, a lying length, and throttled progress', async () => {
    const client = await daemon.connect({ asHost: true });
    const chunk = Buffer.alloc(16 * 1024, 1);
    // No content-length: sends until the client stops reading or leaves.
    const endless = await httpServer((_request, response) => {
      response.writeHead(200);
      const send = () => {
        while (!response.destroyed && response.write(chunk));
        if (!response.destroyed) response.once('drain', send);
      };
      send();
    });
    const huge = await httpServer((_request, response) => response.writeHead(200, { 'content-length': String(MAX_BYTES * 4) }).end());
    const liar = await httpServer((_request, response) => {
      response.writeHead(200, { 'content-length': String(2 * 2 ** 20) });
      response.write(Buffer.alloc(4096), () => setTimeout(() => response.socket?.destroy(), 50));
    });
    try {
      const events: unknown[] = [];
      client.on('models.pull.progress', (event) => events.push(event));
      const started = Date.now();
      const error = await rejectsWith(
        client.call('models.pull', { uri: `${endless.url}/endless.gguf` }),
        ErrorCode.LimitExceeded,
        /larger than the pull limit of 4194304 bytes .*raise CAR_PULL_MAX_BYTES/,
      );
      assert.equal(error.data?.kind, 'too_large');
      const elapsed = Date.now() - started;
      assert.ok(events.length <= elapsed / 200 + 2, `${events.length} progress notifications in ${elapsed} ms: at most one per 200 ms`);
      assert.ok(
        events.every((event) => (event as { total: unknown }).total === null),
        'an unknown total is null',
      );
      assert.equal(existsSync(join(modelsDir, 'endless.gguf.partial')), false, 'a file over the cap is not kept');
      await rejectsWith(
        client.call('models.pull', { uri: `${huge.url}/huge.gguf` }),
        ErrorCode.LimitExceeded,
        /larger than the pull limit of 4194304 bytes \(16777216 bytes announced\)/,
      );
      await rejectsWith(
        client.call('models.pull', { uri: `${liar.url}/liar.gguf` }),
        ErrorCode.Unavailable,
        /cannot pull '.*liar\.gguf': the download broke off after 4096 bytes: the server closed the connection/,
      );
      assert.equal(liar.requests, 1, 'no retries');
      assert.ok(!readdirSync(modelsDir).some((name) => /^(endless|huge|liar)\.gguf$/.test(name)), 'nothing under a final name');
    } finally {
      await Promise.all([endless.close(), huge.close(), liar.close()]);
      client.close();
    }
  });

  it('needs the host role unless CAR_PULL_ALLOW_CLIENTS; deletes with the host role only, partial files too', async () => {
    const client = await daemon.connect();
    await rejectsWith(
      client.call('models.pull', { uri: `${server.url}/stories260K.gguf` }),
      ErrorCode.Forbidden,
      /pulling a model needs a host-role session .*CAR_PULL_ALLOW_CLIENTS=1/,
    );
    await rejectsWith(
      client.call('models.pull', { uri: 'ftp://example.com/x.gguf' }),
      ErrorCode.InvalidParams,
      /param 'uri'.*hf:<owner>\/<repo>\/<file>\.gguf/,
    );
    await rejectsWith(client.call('models.delete', { name: 'llama-2-tiny-random' }), ErrorCode.Forbidden, /host-role session/);
    const host = await daemon.connect({ asHost: true });
    await rejectsWith(host.call('models.delete', { name: 'nope' }), ErrorCode.NotFound, /unknown model 'nope'/);
    assert.deepEqual(await host.call('models.delete', { name: 'llama-2-tiny-random' }), { name: 'llama-2-tiny-random', deleted: true });
    assert.equal(existsSync(join(modelsDir, 'llama-2-tiny-random.gguf')), false);
    assert.ok(existsSync(join(modelsDir, 'slow.gguf.partial')), 'the stalled pull left its partial file');
    assert.deepEqual(await host.call('models.delete', { name: 'slow' }), { name: 'slow', deleted: true });
    assert.equal(existsSync(join(modelsDir, 'slow.gguf.partial')), false);
    host.close();
    client.close();

    const open = await startInference({ modelsDir: undefined, pulls: { allowClients: true } });
    try {
      const anyone = await open.connect();
      assert.equal((await anyone.call('models.pull', { uri: `${server.url}/stories260K.gguf` })).sha256, STORIES_SHA);
      anyone.close();
    } finally {
      await open.close();
    }
  });

  it('after ENOSPC leaves no file under the real name and frees the space (a 2 MiB tmpfs)', async (t) => {
    const disk = tempStateRoot('car-tiny-disk-');
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', disk], { encoding: 'utf8' });
    if (mounted.status !== 0) return t.skip(`cannot mount a tmpfs here (${mounted.stderr.trim() || mounted.error?.message}); needs root`);
    const full = await startInference({ modelsDir: disk, pulls: { stallMs: 10_000 } });
    const unannounced = await httpServer((_request, response) => {
      response.writeHead(200);
      response.end(Buffer.alloc(3 * 2 ** 20, 7));
    });
    try {
      const host = await full.connect({ asHost: true });
      const refused = await rejectsWith(
        host.call('models.pull', { uri: `${server.url}/stories-described.gguf` }),
        ErrorCode.Unavailable,
        /the file needs \d+ more bytes but the disk has \d+ free/,
      );
      assert.equal(refused.data?.kind, 'disk_full');
      const filled = await rejectsWith(
        host.call('models.pull', { uri: `${unannounced.url}/big.gguf` }),
        ErrorCode.Unavailable,
        /the disk is full \(ENOSPC\); the partial file was removed to free the space/,
      );
      assert.equal(filled.data?.kind, 'disk_full');
      assert.deepEqual(readdirSync(disk), [], 'no file under the real name, and the space is free again');
      assert.ok(!(await host.call('models.list', {})).models.some((model) => model.name === 'big'));
      host.close();
    } finally {
      await full.close();
      await unannounced.close();
      spawnSync('umount', [disk]);
    }
  });
});
