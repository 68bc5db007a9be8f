import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { AuthPolicy } from '../../../src/daemon/auth/tokens.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { rpcError } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { STORY, startInference, streamEvents, textOf } from './support.js';

/** `$/cancelRequest` (docs/protocol.md#cancellation) as vscode-jsonrpc sends it, against real generation on stories260K. */
describe('$/cancelRequest on inference', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  before(async () => {
    daemon = await startInference({ auth: AuthPolicy.disabled() });
    client = await daemon.connect();
  });
  after(async () => {
    client.close();
    await daemon.close();
  });

  it('ends a running infer_stream as cancelled, with exactly the text streamed so far', async () => {
    const streaming = client.call('infer_stream', { ...STORY, max_tokens: 8192 });
    const events = streamEvents(client, streaming);
    await waitFor(() => events.length > 0, 'the first text event');
    // The frame vscode-jsonrpc's CancellationToken sends: {"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":<n>}}
    client.notify('$/cancelRequest', { id: streaming.id });
    const result = await streaming;
    assert.equal(result.stop_reason, 'cancelled');
    assert.ok(result.usage!.output_tokens < 8192);
    assert.equal(textOf(events), result.text);
    assert.deepEqual(await client.call('inference.stream.cancel', { request_id: streaming.id }), { cancelled: false }, 'the stream is over');
  });

  it('aborting a call with an AbortSignal cancels it on the daemon too', async () => {
    const controller = new AbortController();
    const streaming = client.call('infer_stream', { ...STORY, max_tokens: 8192 }, { signal: controller.signal });
    const events = streamEvents(client, streaming);
    await waitFor(() => events.length > 0, 'the first text event');
    controller.abort(new Error('stopped here'));
    await assert.rejects(streaming, /stopped here/);
    await waitFor(() => events.at(-1)?.type === 'stop_reason', 'the daemon to end the stream');
    assert.deepEqual(events.at(-1), { type: 'stop_reason', data: 'cancelled' });
    assert.equal(daemon.state.admission.status().permits_in_use, 0);
  });

  it('answers a plain infer with -32800 when cancelled', async () => {
    const call = client.call('infer', { ...STORY, max_tokens: 8192 });
    await waitFor(() => daemon.state.admission.status().permits_in_use === 1, 'the call to run');
    client.notify('$/cancelRequest', { id: call.id });
    await assert.rejects(call, rpcError(ErrorCode.RequestCancelled, /cancelled by the client/));
    await waitFor(() => daemon.state.admission.status().permits_in_use === 0, 'the permit to be released');
  });
});
