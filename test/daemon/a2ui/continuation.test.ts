import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { A2aContinuationClient } from '../../../src/daemon/a2ui/continuation.js';
import type { A2uiAction } from '../../../src/protocol/a2ui.js';
import { ErrorCode, RpcError } from '../../../src/protocol/errors.js';
import { json, startPeer, type A2aPeer } from './a2a-peer.js';

const action: A2uiAction = {
  name: 'book',
  surfaceId: 'booking',
  sourceComponentId: 'book-button',
  timestamp: '2026-01-01T10:00:00.000Z',
  context: { seats: 2 },
};
const TOKEN = 'tok-6f1c0e9a-secret';

describe('A2A continuation client (docs/protocol.md#a2ui-action)', () => {
  let peer: A2aPeer;
  let other: A2aPeer;
  const client = new A2aContinuationClient(10_000);
  before(async () => {
    peer = await startPeer();
    other = await startPeer('/elsewhere');
  });
  after(async () => {
    await peer.close();
    await other.close();
  });
  beforeEach(() => {
    peer.requests.length = 0;
    other.requests.length = 0;
    peer.answer((request, response) => json(response, 200, { jsonrpc: '2.0', id: request.body.id, result: { kind: 'task', id: 'task-1' } }));
  });

  it('POSTs a JSON-RPC SendMessage whose data part carries the action, with the bearer token', async () => {
    const route = await client.send({ endpoint: peer.url, taskId: 'task-1', contextId: 'ctx-1' }, action, { type: 'bearer', token: TOKEN });
    assert.deepEqual(route, { kind: 'a2a', endpoint: peer.url, status: 'sent', http_status: 200, response: { kind: 'task', id: 'task-1' } });
    assert.equal(peer.requests.length, 1);
    const [request] = peer.requests;
    assert.equal(request!.method, 'POST');
    assert.equal(request!.url, '/a2a');
    assert.equal(request!.headers.authorization, `Bearer ${TOKEN}`);
    assert.match(String(request!.headers['content-type']), /^application\/json/);
    const { id, params, ...rest } = request!.body;
    assert.deepEqual(rest, { jsonrpc: '2.0', method: 'SendMessage' });
    assert.equal(typeof id, 'string');
    const { messageId, ...message } = params.message;
    assert.match(messageId, /^[0-9a-f-]{36}$/);
    assert.deepEqual(message, { role: 'user', taskId: 'task-1', contextId: 'ctx-1', parts: [{ kind: 'data', data: { a2uiAction: action } }] });
  });

  it('sends a header credential under its own name, and leaves out ids it does not know', async () => {
    await client.send({ endpoint: peer.url, taskId: null, contextId: null }, action, { type: 'header', name: 'X-Api-Key', value: TOKEN });
    const [request] = peer.requests;
    assert.equal(request!.headers['x-api-key'], TOKEN);
    assert.equal(request!.headers.authorization, undefined);
    assert.deepEqual(Object.keys(request!.body.params.message).sort(), ['messageId', 'parts', 'role']);
  });

  it('sends no credential when there is none', async () => {
    await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, null);
    assert.equal(peer.requests[0]!.headers.authorization, undefined);
  });

  it('retries once with message/send when the peer answers -32601', async () => {
    peer.answer((request, response) => {
      if (request.body.method === 'SendMessage')
        json(response, 200, { jsonrpc: '2.0', id: request.body.id, error: { code: -32601, message: 'Method not found' } });
      else json(response, 200, { jsonrpc: '2.0', id: request.body.id, result: { kind: 'message', role: 'agent', parts: [] } });
    });
    const route = await client.send({ endpoint: peer.url, taskId: 't', contextId: 'c' }, action, { type: 'bearer', token: TOKEN });
    assert.deepEqual(
      peer.requests.map((r) => r.body.method),
      ['SendMessage', 'message/send'],
    );
    assert.equal(peer.requests[1]!.headers.authorization, `Bearer ${TOKEN}`);
    assert.deepEqual(peer.requests[1]!.body.params.message.parts, [{ kind: 'data', data: { a2uiAction: action } }]);
    assert.equal(route.kind === 'a2a' && route.status, 'sent');
  });

  it('reports other JSON-RPC errors as failed', async () => {
    peer.answer((request, response) => json(response, 200, { jsonrpc: '2.0', id: request.body.id, error: { code: -32001, message: 'task not found' } }));
    const route = await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, null);
    assert.deepEqual(route, {
      kind: 'a2a',
      endpoint: peer.url,
      status: 'failed',
      error: 'the peer answered SendMessage with JSON-RPC error -32001: task not found',
    });
    assert.equal(peer.requests.length, 1);
  });

  it('never follows a redirect, so the credential never reaches the redirect target', async () => {
    peer.answer((_request, response) => {
      response.writeHead(307, { location: other.url });
      response.end();
    });
    const route = await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, { type: 'bearer', token: TOKEN });
    assert.equal(route.kind === 'a2a' && route.status, 'failed');
    assert.match((route as { error: string }).error, /redirect \(HTTP 307\); redirects are not followed/);
    assert.equal(other.requests.length, 0);
  });

  it('reports HTTP errors and non-JSON replies as failed', async () => {
    peer.answer((_request, response) => json(response, 503, { error: 'busy' }));
    assert.deepEqual(await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, null), {
      kind: 'a2a',
      endpoint: peer.url,
      status: 'failed',
      error: 'the peer answered HTTP 503',
    });
    peer.answer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html>hello</html>');
    });
    const route = await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, null);
    assert.match((route as { error: string }).error, /not JSON/);
  });

  it('scrubs the credential from anything the peer echoes back', async () => {
    peer.answer((request, response) =>
      json(response, 200, { jsonrpc: '2.0', id: request.body.id, result: { echoed: request.headers.authorization, nested: [`x${TOKEN}y`] } }),
    );
    const route = await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, { type: 'bearer', token: TOKEN });
    assert.ok(!JSON.stringify(route).includes(TOKEN));
    assert.deepEqual((route as { response: unknown }).response, { echoed: 'Bearer [redacted]', nested: ['x[redacted]y'] });
    peer.answer((request, response) => json(response, 200, { jsonrpc: '2.0', id: request.body.id, error: { code: 1, message: `bad token ${TOKEN}` } }));
    const failed = await client.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, { type: 'bearer', token: TOKEN });
    assert.ok(!JSON.stringify(failed).includes(TOKEN));
  });

  it('gives up after its deadline when the peer never answers', async () => {
    peer.answer(() => {
      // never answers
    });
    const quick = new A2aContinuationClient(300);
    const route = await quick.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, null);
    assert.deepEqual(route, { kind: 'a2a', endpoint: peer.url, status: 'failed', error: 'the peer did not answer within 0.3 s' });
  });

  it('tells a caller that went away from a call cut off by its response deadline', async () => {
    peer.answer(() => {
      // never answers
    });
    const target = { endpoint: peer.url, taskId: 't', contextId: null };
    const abortedWith = (reason: Error) => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(reason), 100);
      return controller.signal;
    };
    const gone = await client.send(target, action, null, abortedWith(new Error('client disconnected')));
    const cut = await client.send(
      target,
      action,
      null,
      abortedWith(new RpcError(ErrorCode.DeadlineExceeded, "handler 'a2ui.action' exceeded its 1s response deadline; re-read the state")),
    );
    assert.deepEqual(
      [gone, cut].map((route) => ('error' in route ? route.error : route.kind)),
      [
        'the caller disconnected before the peer answered',
        "the call's response deadline passed before the peer answered (handler 'a2ui.action' exceeded its 1s response deadline)",
      ],
    );
  });

  it('reports an unreachable peer as failed', async () => {
    const gone = await startPeer();
    await gone.close();
    const route = await client.send({ endpoint: gone.url, taskId: 't', contextId: null }, action, null);
    assert.deepEqual(route, { kind: 'a2a', endpoint: gone.url, status: 'failed', error: 'cannot reach the peer (ECONNREFUSED)' });
  });

  it('refuses a reply larger than its cap', async () => {
    peer.answer((request, response) => json(response, 200, { jsonrpc: '2.0', id: request.body.id, result: 'x'.repeat(5000) }));
    const small = new A2aContinuationClient(10_000, 1000);
    const route = await small.send({ endpoint: peer.url, taskId: 't', contextId: null }, action, null);
    assert.match((route as { error: string }).error, /exceeds 1000 bytes/);
  });
});
