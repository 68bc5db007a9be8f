import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { contract, notifications, serverRequests } from '../../src/protocol/contract.js';
import type { OpenRpcDocument } from '../../src/protocol/discover.js';
import { ErrorCode } from '../../src/protocol/errors.js';
import { anchorOf, undescribed } from '../../src/protocol/openrpc.js';
import { connectInMemory, inMemoryFixture } from '../helpers/in-memory-channel.js';
import { rejectsWith } from '../helpers/rpc.js';

/**
 * @open-rpc/schema-utils-js is the OpenRPC project's validator (its 1.3 meta-schema, and each
 * schema against draft-07's). Loaded untyped: its type declarations pull in a .ts source file
 * that does not pass this project's compiler settings.
 */
const { validateOpenRPCDocument } = createRequire(import.meta.url)('@open-rpc/schema-utils-js') as {
  validateOpenRPCDocument: (document: unknown) => true | { message: string };
};

/** Every `$ref` in `value`, with where it was found. */
function refs(value: unknown, path = '#'): { ref: string; at: string }[] {
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, child]) =>
    key === '$ref' && typeof child === 'string' ? [{ ref: child, at: path }] : refs(child, `${path}/${key}`),
  );
}

function resolvePointer(document: unknown, ref: string): unknown {
  return ref
    .slice(2)
    .split('/')
    .reduce<unknown>((node, segment) => (node as Record<string, unknown> | undefined)?.[segment.replaceAll('~1', '/').replaceAll('~0', '~')], document);
}

describe('rpc.discover', () => {
  const fixture = inMemoryFixture();
  let document: OpenRpcDocument;

  it('answers a signed-in session with an OpenRPC 1.3 document that the OpenRPC meta-schema accepts', async () => {
    document = await fixture.client.call('rpc.discover', {});
    assert.equal(document.openrpc, '1.3.2');
    const verdict = validateOpenRPCDocument(document);
    assert.equal(verdict, true, verdict === true ? '' : verdict.message);
    const [first, ...rest] = document.methods;
    const broken = { ...document, methods: [{ ...first, result: { name: 'result', schema: { type: 'text' } } }, ...rest] };
    assert.notEqual(validateOpenRPCDocument(broken), true, 'the validator refuses a result schema that is not JSON Schema');
  });

  it('describes every method of the contract, with its params by name and a result schema', () => {
    assert.deepEqual(
      document.methods.map((method) => method.name),
      Object.keys(contract),
    );
    assert.deepEqual(
      undescribed().methods,
      [],
      'methods still declared with returns<R>(): give them a result schema (docs/architecture.md, "Declaring a method")',
    );
    for (const method of document.methods) {
      assert.ok(method.result && Object.keys(method.result.schema).length > 0, `${method.name} has a result schema`);
      assert.equal(method.paramStructure, 'by-name');
      assert.ok(method.summary, `${method.name} has a summary`);
    }
    const add = document.methods.find((method) => method.name === 'memory.add_fact')!;
    assert.deepEqual(
      add.params.map(({ name, required }) => ({ name, required })),
      [
        // Optional since issue 27 (`car memory add "<text>"`): the daemon takes the body's first words.
        { name: 'subject', required: false },
        { name: 'body', required: true },
        { name: 'kind', required: false },
      ],
    );
    assert.equal(add.params[2]!.schema.default, 'pattern', 'a default is documented on the input side');
    assert.deepEqual(add.result!.schema.required, ['id', 'fact_count']);
  });

  it('describes the notifications, the server requests and every error code', () => {
    assert.deepEqual(undescribed().notifications, []);
    assert.deepEqual(
      document['x-notifications'].map((notification) => notification.name),
      Object.keys(notifications),
    );
    for (const notification of document['x-notifications']) assert.ok(notification.params, `${notification.name} has a params schema`);
    const voiceEvent = document['x-notifications'].find((notification) => notification.name === 'voice.event')!;
    assert.deepEqual(voiceEvent.params!.required, ['session_id', 'event']);
    assert.deepEqual(
      document['x-server-requests'].map((request) => request.name),
      Object.keys(serverRequests),
    );
    assert.deepEqual(
      Object.values(document.components.errors)
        .map((error) => error.code)
        .sort(),
      Object.values(ErrorCode).sort(),
    );
    assert.deepEqual(document.components.errors.NotFound!.data, { kind: 'not_found' });
  });

  it('resolves every $ref inside the document, and names each type once', () => {
    const found = refs(document);
    assert.ok(found.length > 0);
    for (const { ref, at } of found) {
      assert.match(ref, /^#\/components\/schemas\/[A-Za-z0-9]+$/, `ref at ${at}`);
      assert.ok(resolvePointer(document, ref), `${ref} at ${at} resolves`);
    }
    assert.ok(document.components.schemas.HostAgent && document.components.schemas.MeetingMetadata);
  });

  it('reports the gates each method table declares', () => {
    const gates = (name: string) => document.methods.find((method) => method.name === name)!['x-gates'];
    assert.deepEqual(gates('session.auth'), { before_auth: true, handshake: false, host_role: false, request_id: false, approval: 'never' });
    assert.equal(gates('host.subscribe')!.handshake, true);
    assert.equal(gates('daemon.shutdown')!.host_role, true);
    assert.equal(gates('infer_stream')!.request_id, true);
    assert.equal(gates('memory.load')!.approval, 'some calls');
    assert.equal(gates('a2ui.ingest')!.approval, 'some calls');
    assert.deepEqual(gates('rpc.discover'), { before_auth: false, handshake: false, host_role: false, request_id: false, approval: 'never' });
  });

  it('is refused before sign-in, like every method but session.auth', async () => {
    const { client } = connectInMemory(fixture.state);
    await rejectsWith(client.call('rpc.discover', {}), ErrorCode.AuthRequired, /authentication required/);
    client.close();
  });

  it('gives every method and notification a distinct anchor', () => {
    const names = [...Object.keys(contract), ...Object.keys(notifications), ...Object.keys(serverRequests)];
    assert.equal(new Set(names.map(anchorOf)).size, names.length);
    assert.equal(anchorOf('meeting.summarize'), 'meeting-summarize');
    assert.equal(anchorOf('a2ui/subscribe'), 'a2ui-subscribe');
  });
});
