import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { JSONRPCClient, JSONRPCServer, JSONRPCServerAndClient } from 'json-rpc-2.0';
import WebSocket from 'ws';
import type { InferResult } from '../../../src/protocol/inference.js';
import type { ToolExecuteParams } from '../../../src/protocol/tools.js';
import type { InProcessDaemon } from '../../helpers/in-process.js';
import { startInference } from '../inference/support.js';
import { WEATHER, forcing } from './support.js';

/** The wire contract is plain JSON-RPC 2.0: a standard library, not our client, owns the tool and answers `tools.execute`. */
describe('a tool owned by a standard JSON-RPC 2.0 client (json-rpc-2.0)', () => {
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInference();
  });
  after(async () => {
    await daemon.close();
  });

  it('registers, is called back with a string srv- id, and its answer reaches the infer result', async () => {
    const socket = new WebSocket(daemon.url);
    await once(socket, 'open');
    const frames: { id?: unknown; method?: string }[] = [];
    const peer = new JSONRPCServerAndClient(
      new JSONRPCServer(),
      new JSONRPCClient((request) => {
        socket.send(JSON.stringify(request));
      }),
    );
    socket.on('message', (data: Buffer) => {
      const frame = JSON.parse(data.toString());
      frames.push(frame);
      void peer.receiveAndSend(frame);
    });
    const executed: ToolExecuteParams[] = [];
    peer.addMethod('tools.execute', (params) => {
      executed.push(params as unknown as ToolExecuteParams);
      return { temperature: 21 };
    });
    try {
      await peer.request('session.auth', { token: daemon.token });
      await peer.request('tools.register', { tools: [{ name: 'weather', ...WEATHER }] });
      const result = (await peer.request('infer', forcing('weather'))) as InferResult;

      assert.equal(executed.length, 1);
      const [call] = result.tool_calls;
      const self = (await peer.request('sessions.list', {})).sessions.find((session: { is_self: boolean }) => session.is_self).id;
      assert.deepEqual(executed[0], { request_id: call!.id, tool: 'weather', parameters: call!.parameters, timeout_ms: 300_000, attempt: 1, session_id: self });
      assert.deepEqual('result' in call! && call!.result, { temperature: 21 });
      const request = frames.find((frame) => frame.method === 'tools.execute');
      assert.match(String(request?.id), /^srv-\d+$/);
      assert.equal(typeof request?.id, 'string');
    } finally {
      socket.close();
    }
  });
});
