import assert from 'node:assert/strict';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { describe, it } from 'node:test';
import { z } from 'zod';
import type { Connection } from '../../src/client/connection.js';
import { implement, type MethodTable } from '../../src/daemon/rpc/method-table.js';
import type { ClientSession } from '../../src/daemon/sessions/client-session.js';
import { ServerState } from '../../src/daemon/state/server-state.js';
import { contract, notifications, serverRequests } from '../../src/protocol/contract.js';
import { memoryContract, type AddFactResult } from '../../src/protocol/memory.js';
import { defineMethods, defineNotifications, returns, type DescriptorResult, type NotificationPayload } from '../../src/protocol/descriptor.js';
import type { HostEvent } from '../../src/protocol/host.js';
import type { NotificationParamsOf, ResultOf } from '../../src/protocol/methods.js';
import type { VoiceEventParams } from '../../src/protocol/voice.js';
import { tempStateRoot } from '../helpers/paths.js';

/**
 * The typed contract, checked by the compiler: every `@ts-expect-error` below must stay an
 * error, or `npm run build` fails. A wrong result, a wrong notify, an unknown or missing
 * method, or wrong client params do not compile.
 */

const fine: AddFactResult = { id: 'f-1', fact_count: 1 };

/** True only when A and B are the same type (not merely assignable either way). */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

// A result or payload type is the schema's output, one source for the compiler and the docs.
export const derived: [
  Equal<ResultOf<'memory.add_fact'>, AddFactResult>,
  Equal<ResultOf<'memory.add_fact'>, z.output<(typeof memoryContract)['memory.add_fact']['result']>>,
  Equal<ResultOf<'host.agents'>, HostEvent[]>,
  Equal<NotificationParamsOf<'voice.event'>, VoiceEventParams>,
  Equal<NotificationParamsOf<'host.event'>, HostEvent>,
] = [true, true, false, true, true];
type MemoryHandlers = Parameters<typeof implement<typeof memoryContract>>[1];
declare const memoryHandlers: MemoryHandlers;

export function compileTimeChecks(session: ClientSession, client: Connection): MethodTable[] {
  const probe = defineMethods({ 'probe.echo': { params: z.strictObject({ text: z.string() }), result: z.object({ echoed: z.string() }) } });
  // The transition: a newcomer's `returns<R>()` still types its handler (rpc.discover and the docs report it as undescribed).
  const legacy = defineMethods({ 'probe.legacy': { params: z.strictObject({}), result: returns<{ legacy: true }>() } });
  const legacyResult: DescriptorResult<(typeof legacy)['probe.legacy']> = { legacy: true };
  const notes = defineNotifications({ 'probe.note': z.object({ at: z.number() }) });
  const payload: NotificationPayload<(typeof notes)['probe.note']> = { at: legacyResult.legacy ? 1 : 0 };
  const tables = [
    implement(legacy, { 'probe.legacy': { handler: () => ({ legacy: true as const }) } }),
    // @ts-expect-error a legacy descriptor still checks its handler's result
    implement(legacy, { 'probe.legacy': { handler: () => ({ legacy: false }) } }),
    implement(probe, { 'probe.echo': { handler: ({ text }) => ({ echoed: text }) } }),
    implement(probe, { 'probe.echo': { handler: async ({ text }) => ({ echoed: text }) } }),
    // @ts-expect-error a handler that returns the wrong shape
    implement(probe, { 'probe.echo': { handler: ({ text }) => ({ echo: text }) } }),
    // @ts-expect-error an async handler that resolves to the wrong shape
    implement(probe, { 'probe.echo': { handler: async () => 42 } }),
    // @ts-expect-error params are the schema's output: `text` is a string, not a number
    implement(probe, { 'probe.echo': { handler: ({ text }: { text: number }) => ({ echoed: String(text) }) } }),
    // @ts-expect-error a method the contract does not declare
    implement(probe, { 'probe.echo': { handler: ({ text }) => ({ echoed: text }) }, 'probe.extra': { handler: () => null } }),
    // @ts-expect-error a declared method left without a handler
    implement(probe, {}),
    implement(memoryContract, { ...memoryHandlers, 'memory.add_fact': { handler: () => fine } }),
    // @ts-expect-error memory.fact_count returns a number
    implement(memoryContract, { ...memoryHandlers, 'memory.fact_count': { handler: () => 'seven' } }),
  ];

  session.notify('voice.event', { session_id: 'a'.repeat(32), event: { type: 'speech_start', at_ms: 0 } });
  // @ts-expect-error voice.event's session_id is a string, never null (the mismatch the contract found in live meetings)
  session.notify('voice.event', { session_id: null, event: { type: 'speech_start', at_ms: 0 } });
  // @ts-expect-error an event type the protocol does not have
  session.notify('inference.stream.event', { request_id: 1, event: { type: 'bogus' } });
  // @ts-expect-error a notification the protocol does not declare
  session.notify('voice.evnt', {});

  void client.call('memory.add_fact', { subject: 's', body: 'b' }).then((added) => added.fact_count.toFixed());
  // @ts-expect-error a required param is missing
  void client.call('memory.add_fact', { subject: 's' });
  // @ts-expect-error the result type follows the method: memory.query returns hits, not a number
  void client.call('memory.query', { query: 'x' }).then((hits) => hits.toFixed());
  // @ts-expect-error an unknown method is not callable through the typed `call`
  void client.call('memory.ad_fact', {});
  client.on('voice.event', (params) => params.session_id.toUpperCase());
  // @ts-expect-error a notification's params follow its schema: voice.event has no `text` at the top
  client.on('voice.event', (params) => params.text);
  void client.call('rpc.discover', {}).then((document) => document.methods.map((method) => method.result?.schema));
  // @ts-expect-error a payload's type is its schema's output: `at` is a number
  const wrongPayload: NotificationPayload<(typeof notes)['probe.note']> = { at: 'now' };
  void [payload, wrongPayload];

  void session.request(
    'tools.execute',
    { request_id: 'call_1', tool: 't', parameters: {}, timeout_ms: 1, attempt: 1, session_id: session.id },
    { timeoutMs: 1 },
  );
  // @ts-expect-error a server request's params follow its descriptor: tools.execute needs request_id
  void session.request('tools.execute', { tool: 't', parameters: {}, timeout_ms: 1, attempt: 1, session_id: session.id }, { timeoutMs: 1 });
  client.onRequest('tools.execute', (params) => params.tool.toUpperCase());
  // @ts-expect-error tools.execute's params carry no `name`
  client.onRequest('tools.execute', (params) => params.name);
  return tables;
}

describe('protocol contract', () => {
  it('the daemon serves exactly the methods the contract declares', async () => {
    const root = tempStateRoot();
    const state = ServerState.standalone(join(root, 'journals'));
    try {
      assert.deepEqual(state.registry.names(), Object.keys(contract).sort());
    } finally {
      await state.close('test_done');
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('declares each notification once, with dotted names', () => {
    assert.deepEqual(Object.keys(notifications).sort(), [
      'a2ui.event',
      'host.event',
      'infer.progress',
      'inference.stream.event',
      'meeting.stopped',
      'meeting.summary.progress',
      'models.pull.progress',
      'tools.cancel',
      'voice.event',
    ]);
  });

  it('declares the daemon → client requests (docs/protocol.md#server-requests)', () => {
    assert.deepEqual(Object.keys(serverRequests), ['tools.execute']);
  });
});
