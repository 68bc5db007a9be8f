import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { build } from 'esbuild';
import { Connection, type Transport } from '../../src/client/connection.js';
import { ServerState } from '../../src/daemon/state/server-state.js';
import { openInMemory } from '../helpers/in-memory-channel.js';
import { startInProcess, type InProcessDaemon } from '../helpers/in-process.js';
import { REPO_ROOT, tempStateRoot } from '../helpers/paths.js';

/** A transport that records what the connection sends and answers nothing. */
function recordingTransport(): Transport & { sent: unknown[] } {
  const sent: unknown[] = [];
  return {
    sent,
    send: (data) => sent.push(typeof data === 'string' ? JSON.parse(data) : data),
    onMessage: () => {},
    onClose: () => {},
    close: () => {},
    bufferedAmount: 0,
  };
}

describe('client connection (transport-agnostic)', () => {
  let root: string;
  let state: ServerState;
  before(() => {
    root = tempStateRoot();
    state = ServerState.standalone(join(root, 'journals'));
  });
  after(async () => {
    await state.close('test_done');
    rmSync(root, { recursive: true, force: true });
  });

  it('tells each call its request id, so stream notifications can be matched without guessing', async () => {
    const { client } = await openInMemory(state);
    const first = client.call('daemon.status', {});
    const second = client.call('sessions.list', {});
    assert.equal(second.id, first.id + 1);
    assert.equal((await first).protocol_version, 2);
    assert.ok((await second).sessions.some((session) => session.is_self));
    client.close();
  });

  it('sends $/cancelRequest with the id when a call is aborted, and rejects with the abort reason', async () => {
    const transport = recordingTransport();
    const connection = new Connection(transport, 'test://');
    const controller = new AbortController();
    const call = connection.request('infer_stream', { prompt: 'hi' }, { signal: controller.signal });
    controller.abort(new Error('stopped by the user'));
    await assert.rejects(call, /stopped by the user/);
    assert.deepEqual(transport.sent.at(-1), { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: call.id } });
  });

  it('delivers binary frames to onBinary and sends Uint8Array as binary', () => {
    let received: Uint8Array | null = null;
    let deliver: (data: string | Uint8Array, binary: boolean) => void = () => {};
    const transport: Transport = { ...recordingTransport(), onMessage: (handler) => (deliver = handler) };
    const connection = new Connection(transport, 'test://');
    connection.onBinary((frame) => (received = frame));
    deliver(new Uint8Array([1, 2, 3]), true);
    assert.deepEqual(received, new Uint8Array([1, 2, 3]));
  });
});

describe('client entries', () => {
  let daemon: InProcessDaemon;
  before(async () => {
    daemon = await startInProcess();
  });
  after(async () => {
    await daemon.close();
    rmSync(daemon.stateRoot, { recursive: true, force: true });
  });

  it('the browser entry bundles for a browser: no Node built-ins reach it through the client or protocol/', async () => {
    const bundled = await build({
      entryPoints: [join(REPO_ROOT, 'dist/src/client/browser.js')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    assert.equal(bundled.errors.length, 0);
    const protocol = await build({
      entryPoints: [join(REPO_ROOT, 'dist/src/protocol/index.js')],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    });
    assert.equal(protocol.errors.length, 0);
  });

  it('the browser entry talks to a real daemon over globalThis.WebSocket', async () => {
    const script = `
      const { connectBrowser } = await import(${JSON.stringify(join(REPO_ROOT, 'dist/src/client/browser.js'))});
      const connection = await connectBrowser({ url: ${JSON.stringify(daemon.url)}, token: ${JSON.stringify(daemon.token)} });
      const status = await connection.call('daemon.status', {});
      console.log(JSON.stringify({ protocol: status.protocol_version, auth: connection.auth.auth_enabled }));
      await connection.closeAndWait();`;
    // The daemon lives in this process, so the child runs asynchronously.
    const { stdout } = await promisify(execFile)(process.execPath, ['--experimental-websocket', '--no-warnings', '--input-type=module', '-e', script], {
      timeout: 30_000,
    });
    assert.deepEqual(JSON.parse(stdout), { protocol: 2, auth: true });
  });
});
