import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { implement } from '../../../src/daemon/rpc/method-table.js';
import { ServerState } from '../../../src/daemon/state/server-state.js';
import { defineMethods, returns } from '../../../src/protocol/descriptor.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { connectInMemory, openInMemory } from '../../helpers/in-memory-channel.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rpcError } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

/** The dispatcher's gates and `$/cancelRequest`, driven through the in-memory channel: no sockets, no daemon process. */
describe('dispatcher over the in-memory channel', () => {
  let root: string;
  let state: ServerState;
  const aborted: unknown[] = [];

  before(() => {
    root = tempStateRoot();
    state = ServerState.standalone(join(root, 'journals'));
    const slow = defineMethods({
      'test.slow': { params: z.strictObject({ ms: z.number().int().min(0) }), result: returns<{ slept: number }>() },
    });
    state.registry.register(
      implement(slow, {
        'test.slow': {
          handler: ({ ms }, { signal }) =>
            new Promise((resolve) => {
              const timer = setTimeout(() => resolve({ slept: ms }), ms);
              signal.addEventListener('abort', () => (clearTimeout(timer), aborted.push(signal.reason)));
            }),
        },
      }),
    );
  });
  after(async () => {
    await state.close('test_done');
    rmSync(root, { recursive: true, force: true });
  });

  it('refuses a request before authentication with -32001 and closes the session', async () => {
    const { client, session } = connectInMemory(state);
    await assert.rejects(client.request('sessions.list', {}), rpcError(ErrorCode.AuthRequired, /authentication required/));
    await waitFor(() => session.closed, 'the session to close');
    assert.equal(session.closeReason, 'auth_required');
  });

  it('answers an unknown method with -32601 naming it, and a bad param with -32602 naming the field', async () => {
    const { client } = await openInMemory(state);
    await assert.rejects(client.request('memory.nope', {}), rpcError(ErrorCode.MethodNotFound, /'memory\.nope' does not exist/));
    await assert.rejects(client.request('test.slow', { ms: 'soon' }), rpcError(ErrorCode.InvalidParams, /param 'ms'/));
    client.close();
  });

  it('$/cancelRequest answers a slow request with -32800 at once and aborts its signal', async () => {
    const { client, session } = await openInMemory(state);
    const call = client.request('test.slow', { ms: 60_000 });
    await waitFor(() => session.inflight.size === 1, 'the request to be in flight');
    client.notify('$/cancelRequest', { id: call.id });
    await assert.rejects(call, rpcError(ErrorCode.RequestCancelled, /'test\.slow' was cancelled by the client/));
    assert.equal(session.inflight.size, 0);
    assert.equal((aborted.at(-1) as { code?: number }).code, ErrorCode.RequestCancelled);
    client.close();
  });

  it('ignores $/cancelRequest for unknown and finished ids, and without an id: nothing is sent back', async () => {
    const { client, sent } = await openInMemory(state);
    const finished = client.request('test.slow', { ms: 0 });
    await finished;
    const before = sent.length;
    client.notify('$/cancelRequest', { id: finished.id });
    client.notify('$/cancelRequest', { id: 'never-sent' });
    client.notify('$/cancelRequest', {});
    const status = await client.call('daemon.status', {});
    assert.equal(status.protocol_version, 2);
    assert.equal(sent.length, before + 1, 'only the daemon.status response was sent');
    client.close();
  });

  it("cancels only the caller's own request: the same id on another session is untouched", async () => {
    const owner = await openInMemory(state);
    const other = await openInMemory(state);
    const call = owner.client.request('test.slow', { ms: 50 });
    other.client.notify('$/cancelRequest', { id: call.id });
    assert.deepEqual(await call, { slept: 50 });
    owner.client.close();
    other.client.close();
  });
});
