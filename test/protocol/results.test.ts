import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { join } from 'node:path';
import type { z } from 'zod';
import type { Connection } from '../../src/client/connection.js';
import { ServerState } from '../../src/daemon/state/server-state.js';
import { contract, notifications, serverRequests } from '../../src/protocol/contract.js';
import { isSchema } from '../../src/protocol/descriptor.js';
import type { MethodName, NotificationName, ParamsOf, ResultOf } from '../../src/protocol/methods.js';
import { openInMemory } from '../helpers/in-memory-channel.js';
import { SHARED_MODELS, tempStateRoot } from '../helpers/paths.js';
import { startSoundServer, soundServerMissing, type SoundServerFixture } from '../helpers/sound-server.js';
import { waitFor } from '../helpers/wait.js';
import { engineMissing, goForward } from '../daemon/voice/recordings.js';

/**
 * The result schemas are what the documentation and `rpc.discover` promise, but the daemon
 * never checks its own results at run time; so this drives the methods for real and checks
 * every result and notification against its schema, with nothing undocumented left over
 * (a parse strips unknown keys, so the parsed value must equal the one received).
 */
function conforms(schema: z.ZodType, value: unknown, what: string): void {
  const parsed = schema.safeParse(value);
  assert.ok(parsed.success, `${what}: ${parsed.success ? '' : parsed.error.message}`);
  assert.deepEqual(parsed.data, value, `${what} carries a field its schema does not declare`);
}

describe('results and notifications match their schemas', () => {
  let state: ServerState;
  let client: Connection;
  let host: Connection;
  let sound: SoundServerFixture | undefined;
  const checked = new Set<string>();
  const received: { method: string; params: unknown }[] = [];

  const call = async <M extends MethodName>(method: M, params: ParamsOf<M>, by: Connection = client): Promise<ResultOf<M>> => {
    const result = await by.call(method, params);
    const descriptor = contract[method as keyof typeof contract];
    assert.ok(isSchema(descriptor.result), `${method} has a result schema`);
    conforms(descriptor.result, result, method);
    checked.add(method);
    return result;
  };

  before(async () => {
    const root = tempStateRoot();
    if (!soundServerMissing) sound = await startSoundServer();
    state = ServerState.withConfig({
      journalDir: join(root, 'journals'),
      stateRoot: root,
      modelsDir: SHARED_MODELS,
      soundServer: sound && { pulseServer: sound.pulseServer },
    });
    ({ client } = await openInMemory(state));
    ({ client: host } = await openInMemory(state, { asHost: true }));
    for (const name of Object.keys(notifications) as NotificationName[]) {
      for (const connection of [client, host]) connection.on(name, (params) => received.push({ method: name, params }));
    }
  });

  after(async () => {
    client.close();
    host.close();
    await state.close('test_done');
    await sound?.stop();
  });

  it('core, memory and models', async () => {
    await call('session.auth', { token: state.auth.revealTokens().token! });
    await call('server.handshake', { protocol_version: 2, client_version: 'results-test' });
    await call('session.login_code', {});
    await call('sessions.list', {});
    await call('daemon.status', {});
    await call('admission.status', {});
    await call('models.list', {});
    // A remote model on a port nothing listens on: its row says unreachable, and the schemas still hold.
    await call('models.add', { name: 'far-away', url: 'http://127.0.0.1:9/v1', model: 'tiny', roles: ['summary'] }, host);
    await call('models.list', {});
    await call('models.delete', { name: 'far-away' }, host);
    await call('rpc.discover', {});
    const { id } = await call('memory.add_fact', { subject: 'deploy', body: 'deploys go out on Tuesdays', kind: 'constraint' });
    await call('memory.add_fact', { subject: 'editor', body: 'the team writes in vim' });
    await call('memory.query', { query: 'deploys' });
    await call('memory.fact_count', {});
    await call('memory.list', {});
    await call('memory.build_context', { query: 'deploys' });
    await call('memory.persist', { path: 'facts.json' });
    await call('memory.load', { path: 'facts.json' });
    await call('memory.delete', { id });
  });

  it('host: agents, approvals, events', async () => {
    await call('host.subscribe', {});
    const agent = await call('host.register_agent', { name: 'builder', kind: 'test', metadata: { team: 'core' } });
    await call('host.set_status', { agent_id: agent.id, status: 'running', current_task: 'compiling' });
    await call('host.notify', { kind: 'build.finished', message: 'done', payload: { ok: true } });
    const approval = await call('host.request_approval', { agent_id: agent.id, title: 'ship it?', context: { version: '1.0' } });
    await call('host.resolve_approval', { approval_id: approval.id, approved: true, notes: 'fine' });
    await call('host.agents', {});
    await call('host.events', {});
    await call('host.approvals', {});
    await call('host.unregister_agent', { agent_id: agent.id });
    await call('host.unsubscribe', {});
  });

  it('a2ui: surfaces, actions, subscriptions', async () => {
    await call('a2ui/subscribe', {});
    await call('host.subscribe', {});
    await call('a2ui.capabilities', {});
    await call('a2ui.apply', { version: 'v0.9', createSurface: { surfaceId: 's-1', catalogId: 'basic' } });
    await call('a2ui.apply', {
      updateComponents: {
        surfaceId: 's-1',
        components: [
          { id: 'root', component: 'Column', children: ['hello'] },
          { id: 'hello', component: 'Text', text: 'hi' },
        ],
      },
    });
    await call('a2ui.ingest', {
      payload: { parts: [{ kind: 'data', data: { a2ui: { updateDataModel: { surfaceId: 's-1', path: '/name', value: 'Ada' } } } }] },
    });
    await call('a2ui.surfaces', {});
    await call('a2ui.get', { surfaceId: 's-1' });
    await call('a2ui/replay', { surface_id: 's-1' });
    await call('a2ui.action', { name: 'clicked', surfaceId: 's-1', sourceComponentId: 'hello', context: { n: 1 } });
    await call('a2ui.reap', {});
    await call('a2ui.apply', { deleteSurface: { surfaceId: 's-1' } });
    await call('a2ui/unsubscribe', {});
    await call('host.unsubscribe', {});
  });

  it('inference on a real tiny model', async () => {
    await call('infer', { prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
    await call('infer_stream', { prompt: 'Once upon a time', max_tokens: 8, temperature: 0 });
    await call('inference.stream.cancel', { request_id: 12345 });
  });

  it('tools: the registry and a forced call on the real tiny model', async () => {
    await call('tools.register', {
      tools: [
        {
          name: 'weather',
          description: 'Tells the weather in a city',
          parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 12 } } },
        },
      ],
    });
    await call('tools.list', {});
    const requests: unknown[] = [];
    client.onRequest('tools.execute', (params) => {
      requests.push(params);
      return { sky: 'sunny' };
    });
    await call('infer_stream', {
      model: 'stories260K',
      prompt: 'What is the weather in Paris?',
      temperature: 0,
      max_tokens: 100,
      tools: ['weather'],
      tool_choice: { name: 'weather' },
      max_tool_rounds: 1,
    });
    assert.equal(requests.length, 1, 'the forced call reached the client');
    conforms(serverRequests['tools.execute'].params, requests[0], 'tools.execute params');
    await call('tools.unregister', { names: ['weather'] });
  });

  it('voice and meetings on the real speech engine', { skip: engineMissing }, async () => {
    await call('voice.providers.list', {});
    if (sound) await call('voice.devices.list', {});
    const pcm = goForward();
    const voice = await call('voice.transcribe_stream.start', { options: { partials: true } });
    await call('voice.transcribe_stream.push', { session_id: voice.session_id, pcm_b64: pcm.subarray(0, 32000).toString('base64') });
    await call('voice.sessions.list', {});
    await call('voice.transcribe_stream.push', { session_id: voice.session_id, pcm_b64: pcm.subarray(32000).toString('base64') });
    await call('voice.transcribe_stream.stop', { session_id: voice.session_id });

    const meeting = await call('meeting.start', { title: 'stand-up' });
    await call('voice.transcribe_stream.push', { session_id: meeting.voice_session_id!, pcm_b64: pcm.toString('base64') });
    await call('meeting.stop', { meeting_id: meeting.id, summarize: false });
    await call('meeting.list', {});
    await call('meeting.get', { meeting_id: meeting.id });
    await call('meeting.transcript', { id: meeting.id });
    await call('meeting.summarize', { id: meeting.id });
    await call('meeting.delete', { id: meeting.id }, host);
  });

  it('every notification the tour raised matches its schema', async () => {
    await waitFor(() => received.some((entry) => entry.method === 'a2ui.event'), 'a2ui events');
    for (const { method, params } of received) {
      const payload = notifications[method as keyof typeof notifications];
      assert.ok(isSchema(payload), `${method} has a payload schema`);
      conforms(payload, params, method);
    }
    const seen = new Set(received.map((entry) => entry.method));
    for (const expected of ['host.event', 'a2ui.event', 'inference.stream.event', ...(engineMissing ? [] : ['voice.event', 'meeting.stopped'])]) {
      assert.ok(seen.has(expected), `the tour raised ${expected} (raised: ${[...seen].join(', ')})`);
    }
  });

  it('covered the methods that run on this machine', () => {
    const notRun = Object.keys(contract).filter((method) => !checked.has(method));
    // models.pull downloads (no network here), embed needs an embedding model, daemon.shutdown stops the daemon.
    const expectedNotRun = ['daemon.shutdown', 'embed', 'models.pull'];
    if (soundServerMissing) expectedNotRun.push('voice.devices.list');
    if (engineMissing) expectedNotRun.push(...Object.keys(contract).filter((method) => method.startsWith('voice.') || method.startsWith('meeting.')));
    assert.deepEqual(notRun.sort(), [...new Set(expectedNotRun)].sort());
  });
});
