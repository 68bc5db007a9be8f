import { z } from 'zod';
import { emptyParams } from './core.js';
import { defineMethods } from './descriptor.js';

/** `rpc.discover` (the OpenRPC service-discovery convention): the contract as an OpenRPC 1.3 document. */

const jsonSchema = z.record(z.string(), z.unknown()).describe('a JSON Schema (draft-07), as zod converts the descriptor');

export const contentDescriptor = z.object({
  name: z.string(),
  summary: z.string().optional(),
  description: z.string().optional(),
  required: z.boolean().optional(),
  schema: jsonSchema,
});
export type ContentDescriptor = z.output<typeof contentDescriptor>;

/** The gates a method opts into, as the dispatcher applies them (docs/protocol.md#gates). */
export const methodGates = z.object({
  before_auth: z.boolean().describe('served before session.auth (only session.auth is)'),
  handshake: z.boolean().describe('needs server.handshake first (-32005)'),
  host_role: z.boolean().describe('needs the host role (-32012)'),
  request_id: z.boolean().describe('must be a request with an id; sent as a notification it is dropped'),
  approval: z.enum(['never', 'some calls']).describe('whether the method approval gate can hold a call for a human (-32003 on deny)'),
});
export type MethodGates = z.output<typeof methodGates>;

export const openRpcMethod = z.object({
  name: z.string(),
  summary: z.string().optional(),
  tags: z.array(z.object({ name: z.string() })),
  paramStructure: z.literal('by-name'),
  params: z.array(contentDescriptor),
  result: contentDescriptor.optional().describe('absent while a method still declares its result with returns<R>() (no schema)'),
  'x-gates': methodGates.optional(),
});
export type OpenRpcMethod = z.output<typeof openRpcMethod>;

export const openRpcNotification = z.object({
  name: z.string(),
  summary: z.string().optional(),
  params: jsonSchema.optional().describe("the notification's params; absent while it is still declared with carries<P>()"),
});
export type OpenRpcNotification = z.output<typeof openRpcNotification>;

export const openRpcServerRequest = z.object({ name: z.string(), summary: z.string().optional(), params: jsonSchema, result: jsonSchema });
export type OpenRpcServerRequest = z.output<typeof openRpcServerRequest>;

export const openRpcError = z.object({
  code: z.number().int(),
  message: z.string().describe('what the code means (the real message says what was wrong and what to do)'),
  data: z.object({ kind: z.string() }).optional().describe('the `data.kind` errors of this code carry'),
});

export const openRpcDocument = z.object({
  openrpc: z.string().describe('the OpenRPC specification version'),
  info: z.object({ title: z.string(), version: z.string().describe('the wire protocol version'), description: z.string() }),
  servers: z.array(z.object({ name: z.string(), url: z.string() })),
  methods: z.array(openRpcMethod),
  components: z.object({
    schemas: z.record(z.string(), jsonSchema).describe('named types the results and notifications refer to (#/components/schemas/<name>)'),
    errors: z.record(z.string(), openRpcError),
  }),
  'x-notifications': z.array(openRpcNotification).describe('server → client notifications (an extension: OpenRPC describes only client → server calls)'),
  'x-server-requests': z.array(openRpcServerRequest).describe('server → client requests, which the client must answer'),
});
export type OpenRpcDocument = z.output<typeof openRpcDocument>;

export const discoveryContract = defineMethods({
  'rpc.discover': {
    params: emptyParams,
    result: openRpcDocument,
    summary: 'This contract as an OpenRPC 1.3 document: methods with params and result schemas, notifications, server requests, error codes.',
  },
});
