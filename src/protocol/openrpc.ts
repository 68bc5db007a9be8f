import { z } from 'zod';
import { contract, contractNamespaces, notifications, serverRequests } from './contract.js';
import { isSchema, type ServerRequestDescriptors } from './descriptor.js';
import type { ContentDescriptor, MethodGates, OpenRpcDocument, OpenRpcMethod } from './discover.js';
import { ERROR_MEANINGS, ErrorCode, ErrorKind } from './errors.js';
import { PROTOCOL_VERSION } from './methods.js';

/**
 * The contract as an OpenRPC 1.3 document, converted from the descriptors by zod's own
 * `z.toJSONSchema` (draft-07, as OpenRPC 1.3 wants): params as the schema's input (what a
 * client sends, defaults marked), results and notifications as the output (what the daemon
 * sends). Named schemas (`.meta({ id })`) become `#/components/schemas/<id>`.
 */

export const OPENRPC_VERSION = '1.3.2';
export const DEFAULT_SERVER_URL = 'ws://127.0.0.1:9100/';
const COMPONENTS = '#/components/schemas/';

type JsonSchema = Record<string, unknown>;

export interface ContractDocumentOptions {
  /** The gates the daemon applies to each method (its method tables know them, the descriptors do not). */
  gates?: (method: string) => MethodGates | undefined;
  /** The daemon's URL; the default port on loopback unless given. */
  url?: string;
}

export function contractDocument(options: ContractDocumentOptions = {}): OpenRpcDocument {
  const outputs = new SchemaComponents();
  const methods = Object.entries(contract).map(([name, descriptor]): OpenRpcMethod => {
    const gates = options.gates?.(name);
    return {
      name,
      ...(descriptor.summary ? { summary: descriptor.summary } : {}),
      tags: [{ name: namespaceOf(name) }],
      paramStructure: 'by-name',
      params: paramDescriptors(name, descriptor.params, outputs),
      ...(isSchema(descriptor.result) ? { result: { name: 'result', required: true, schema: outputs.convert(descriptor.result) } } : {}),
      ...(gates ? { 'x-gates': gates } : {}),
    };
  });
  const notificationEntries = Object.entries(notifications).map(([name, payload]) => ({
    name,
    ...(isSchema(payload) ? { params: outputs.convert(payload) } : {}),
  }));
  const requestEntries = Object.entries(serverRequests as ServerRequestDescriptors).map(([name, request]) => ({
    name,
    ...(request.summary ? { summary: request.summary } : {}),
    params: outputs.convert(request.params),
    result: outputs.convert(request.result),
  }));

  return {
    openrpc: OPENRPC_VERSION,
    info: {
      title: 'car daemon',
      version: String(PROTOCOL_VERSION),
      description:
        'JSON-RPC 2.0 over WebSocket. Generated from the descriptors in src/protocol; the prose (lifecycle, auth, binary frames, files on disk) is in docs/protocol.md.',
    },
    servers: [{ name: 'car daemon', url: options.url ?? DEFAULT_SERVER_URL }],
    methods,
    components: { schemas: outputs.sorted(), errors: errorComponents() },
    'x-notifications': notificationEntries,
    'x-server-requests': requestEntries,
  };
}

/** Methods still declared with `returns<R>()` and notifications with `carries<P>()`: the document cannot describe them. */
export function undescribed(): { methods: string[]; notifications: string[] } {
  return {
    methods: Object.entries(contract)
      .filter(([, descriptor]) => !isSchema(descriptor.result))
      .map(([name]) => name),
    notifications: Object.entries(notifications)
      .filter(([, payload]) => !isSchema(payload))
      .map(([name]) => name),
  };
}

/** The namespace a method is documented under: its entry in `contractNamespaces`, else its name's first segment. */
export function namespaceOf(method: string): string {
  for (const [namespace, methods] of Object.entries(contractNamespaces)) if (method in methods) return namespace;
  return method.split(/[./]/)[0]!;
}

/** The stable anchor of a method or notification in docs/protocol.md: `meeting.summarize` → `meeting-summarize`. */
export const anchorOf = (name: string): string => name.replace(/[^A-Za-z0-9_-]+/g, '-').toLowerCase();

/**
 * OpenRPC wants one content descriptor per named param; every params schema is an object.
 * A named schema in params (a recursive one, like a tool's JSON Schema) joins the components
 * when its input form is the same as its output form, so one name means one shape.
 */
function paramDescriptors(method: string, params: z.ZodType, components: SchemaComponents): ContentDescriptor[] {
  const schema = components.convert(params, 'input');
  if (schema.type !== 'object') throw new Error(`params of ${method} must be an object schema to be described by name`);
  const required = new Set((schema.required as string[] | undefined) ?? []);
  return Object.entries((schema.properties as Record<string, JsonSchema> | undefined) ?? {}).map(([name, property]) => ({
    name,
    ...(typeof property.description === 'string' ? { description: property.description } : {}),
    required: required.has(name),
    schema: property,
  }));
}

/**
 * Results, notifications and server requests (io: output) and params (io: input), each
 * converted on its own; the named schemas zod extracts into each one's `definitions` are
 * gathered into the components and referred to there.
 */
class SchemaComponents {
  readonly components: Record<string, JsonSchema> = {};

  convert(schema: z.ZodType, io: 'input' | 'output' = 'output'): JsonSchema {
    const { definitions, ...root } = withoutRootKeywords(z.toJSONSchema(schema, { target: 'draft-07', io }) as JsonSchema);
    for (const [id, definition] of Object.entries((definitions as Record<string, JsonSchema> | undefined) ?? {})) {
      if (id.startsWith('__schema')) throw new Error(`a schema is recursive without an id; give it one with .meta({ id })`);
      const component = toComponents(definition);
      const known = this.components[id];
      if (known && JSON.stringify(known) !== JSON.stringify(component)) throw new Error(`two different schemas are named '${id}'`);
      this.components[id] = component;
    }
    return toComponents(root);
  }

  sorted(): Record<string, JsonSchema> {
    return Object.fromEntries(Object.entries(this.components).sort(([a], [b]) => a.localeCompare(b)));
  }
}

/** Points a single schema's `#/definitions/<id>` refs at the document's components. */
const toComponents = (schema: JsonSchema): JsonSchema => JSON.parse(JSON.stringify(schema).replaceAll('"#/definitions/', `"${COMPONENTS}`)) as JsonSchema;

/** `$schema` and `$id` belong to standalone schemas, not to ones embedded in a document. */
function withoutRootKeywords(schema: JsonSchema): JsonSchema {
  const { $schema: _schema, $id: _id, ...rest } = schema;
  return rest;
}

function errorComponents(): OpenRpcDocument['components']['errors'] {
  const errors: OpenRpcDocument['components']['errors'] = {};
  for (const [name, code] of Object.entries(ErrorCode) as [keyof typeof ErrorCode, number][]) {
    const kind = ErrorKind[code];
    errors[name] = { code, message: ERROR_MEANINGS[name], ...(kind ? { data: { kind } } : {}) };
  }
  return errors;
}
