import { z } from 'zod';
import { defineMethods, defineNotifications, defineServerRequests } from './descriptor.js';
import { emptyParams } from './core.js';

/**
 * Client tools (issue 23): a session registers tools, `infer` lets the model call them, and
 * the daemon runs each call through the owning client with the server → client request
 * `tools.execute` (docs/protocol.md#server-requests), cancelled with the `tools.cancel` notification.
 */

export const MAX_TOOLS_PER_SESSION = 128;
export const MAX_TOOL_TIMEOUT_MS = 3_600_000;
export const DEFAULT_MAX_TOOL_ROUNDS = 4;
export const MAX_TOOL_ROUNDS = 16;
const MAX_DESCRIPTION_CHARS = 4096;

/** OpenAI's rule for function names, so the same names work with both. */
export const toolName = z
  .string({ error: 'must be the name of a tool (a string)' })
  .regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1-64 letters, digits, underscores or hyphens');

const SCHEMA_TYPES = ['string', 'number', 'integer', 'boolean', 'null', 'object', 'array'] as const;
const schemaType = z.enum(SCHEMA_TYPES, { error: `must be one of ${SCHEMA_TYPES.join(', ')}` });
const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const count = z.number().int('must be a whole number').min(0, 'must be 0 or more');

/**
 * The JSON Schema a tool's parameters may use: the subset node-llama-cpp turns into a
 * grammar (every declared property is generated, as in OpenAI's strict mode), plus
 * `anyOf` (read as `oneOf`) and annotations that are accepted and not enforced. Any other
 * keyword (`pattern`, `minimum`, …) is refused, so a schema never promises what the
 * grammar does not hold.
 */
export interface ToolSchema {
  type?: (typeof SCHEMA_TYPES)[number] | readonly (typeof SCHEMA_TYPES)[number][];
  description?: string;
  properties?: Record<string, ToolSchema>;
  required?: readonly string[];
  additionalProperties?: boolean | ToolSchema;
  minProperties?: number;
  maxProperties?: number;
  items?: ToolSchema;
  prefixItems?: readonly ToolSchema[];
  minItems?: number;
  maxItems?: number;
  minLength?: number;
  maxLength?: number;
  format?: 'date-time' | 'time' | 'date';
  enum?: readonly (string | number | boolean | null)[];
  const?: string | number | boolean | null;
  oneOf?: readonly ToolSchema[];
  anyOf?: readonly ToolSchema[];
  $defs?: Record<string, ToolSchema>;
  $ref?: string;
  title?: string;
  default?: unknown;
  examples?: readonly unknown[];
  $schema?: string;
  $comment?: string;
}

export const toolSchema: z.ZodType<ToolSchema> = z
  .strictObject({
    type: z.union([schemaType, z.array(schemaType).min(1, 'must list at least one type')]).optional(),
    description: z.string().max(MAX_DESCRIPTION_CHARS).optional(),
    get properties() {
      return z.record(z.string(), toolSchema).optional();
    },
    required: z.array(z.string()).optional(),
    get additionalProperties() {
      return z.union([z.boolean(), toolSchema]).optional();
    },
    minProperties: count.optional(),
    maxProperties: count.optional(),
    get items() {
      return toolSchema.optional();
    },
    get prefixItems() {
      return z.array(toolSchema).optional();
    },
    minItems: count.optional(),
    maxItems: count.optional(),
    minLength: count.optional(),
    maxLength: count.optional(),
    format: z.enum(['date-time', 'time', 'date'], { error: "must be 'date-time', 'time' or 'date' (the formats a grammar can hold)" }).optional(),
    enum: z.array(scalar).min(1, 'must list at least one value').optional(),
    const: scalar.optional(),
    get oneOf() {
      return z.array(toolSchema).min(1, 'must list at least one schema').optional();
    },
    get anyOf() {
      return z.array(toolSchema).min(1, 'must list at least one schema').optional();
    },
    get $defs() {
      return z.record(z.string(), toolSchema).optional();
    },
    $ref: z
      .string()
      .regex(/^#\/\$defs\/[^/]+$/, "must point into this schema's $defs ('#/$defs/<name>')")
      .optional(),
    title: z.string().optional(),
    default: z.unknown().optional(),
    examples: z.array(z.unknown()).optional(),
    $schema: z.string().optional(),
    $comment: z.string().optional(),
  })
  .meta({ id: 'ToolSchema', description: "The JSON Schema subset a tool's parameters may use (what a grammar can hold)" });

/** The root of a tool's parameters is an object, as in OpenAI function calling. */
const toolParameters = toolSchema.refine((schema) => schema.type === 'object', {
  message: 'must be a JSON Schema of an object ({ "type": "object", "properties": { … } })',
});

export const TOOL_RISKS = ['low', 'high'] as const;
export type ToolRisk = (typeof TOOL_RISKS)[number];

export const toolDefinition = z.strictObject({
  name: toolName,
  description: z.string().max(MAX_DESCRIPTION_CHARS, `must be at most ${MAX_DESCRIPTION_CHARS} characters`).optional(),
  parameters: toolParameters.optional(),
  /** `high`: every call waits for a host approval (docs/protocol.md#approval-gate) before it runs. */
  risk: z.enum(TOOL_RISKS, { error: "must be 'low' or 'high'" }).default('low'),
  /** How long a call waits for the client's answer; `CAR_TOOL_TIMEOUT` (300 s) when absent. */
  timeout_ms: z
    .number()
    .int('must be a whole number of milliseconds')
    .min(1, 'must be at least 1')
    .max(MAX_TOOL_TIMEOUT_MS, 'must be at most 3600000 (one hour)')
    .optional(),
});
export type ToolDefinition = z.input<typeof toolDefinition>;

export const toolsRegisterParams = z.strictObject({
  tools: z
    .array(toolDefinition)
    .min(1, 'must list at least one tool')
    .max(MAX_TOOLS_PER_SESSION, `must list at most ${MAX_TOOLS_PER_SESSION} tools`)
    .superRefine((tools, ctx) => {
      const seen = new Set<string>();
      tools.forEach((tool, index) => {
        if (seen.has(tool.name)) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `repeats '${tool.name}'; name each tool once per call` });
        seen.add(tool.name);
      });
    }),
});

export const toolsUnregisterParams = z.strictObject({
  names: z.array(toolName).min(1, 'must name at least one tool').max(MAX_TOOLS_PER_SESSION),
});

/** A registered tool as `tools.list` shows it. */
export const toolInfo = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    parameters: toolSchema.nullable(),
    risk: z.enum(TOOL_RISKS),
    timeout_ms: z.number().int().describe("the wait for the client's answer, this tool's own or the daemon's default"),
    session_id: z.string().describe('the session that registered the tool, the only one whose infer may call it'),
    registered_at: z.string().describe('ISO-8601 UTC'),
  })
  .meta({ id: 'ToolInfo' });
export type ToolInfo = z.output<typeof toolInfo>;
const toolList = z.object({ tools: z.array(toolInfo) });

/* What `infer` takes (see inference.ts) and returns. */

export const toolChoice = z.union([
  z.enum(['auto', 'none', 'required'], { error: "must be 'auto', 'none', 'required' or { \"name\": <tool> }" }),
  z.strictObject({ name: toolName }),
]);
export type ToolChoice = z.output<typeof toolChoice>;

export const TOOL_CALL_ERROR_KINDS = [
  'tool_error',
  'timeout',
  'cancelled',
  'approval_denied',
  'approval_expired',
  'approval_cancelled',
  'not_registered',
  'result_too_large',
  'invalid_call',
] as const;
/**
 * Why a call has no result; the model reads `message`. `invalid_call`: the call never ran
 * because the model named a tool it was not offered, or gave arguments that are not a JSON
 * object fitting the tool's parameters (only a remote model can: a local one is held to the
 * schema by a grammar).
 */
export type ToolCallErrorKind = (typeof TOOL_CALL_ERROR_KINDS)[number];

export const toolCallError = z.object({ kind: z.enum(TOOL_CALL_ERROR_KINDS), message: z.string().describe('what the model reads instead of a result') });
export type ToolCallError = z.output<typeof toolCallError>;

const toolCallBase = {
  id: z.string().describe("'call_' and 12 hex digits; also the request_id of tools.execute and tools.cancel"),
  tool: z.string(),
  parameters: z.record(z.string(), z.unknown()),
  duration_ms: z.number(),
};

/** One call the model made in `infer`: `result` when the client answered, else `error`. */
export const toolCall = z
  .union([
    // The error form first: a result may be any JSON, so the other form would also take an errored call.
    z.object({
      ...toolCallBase,
      error: toolCallError.describe(
        "why there is no result; invalid_call: the call never ran, as the model named a tool not offered or gave arguments that are not a JSON object fitting the tool's parameters (only a remote model can)",
      ),
    }),
    z.object({ ...toolCallBase, result: z.unknown().describe("the client's answer, any JSON") }),
  ])
  .meta({ id: 'ToolCall' });
export type ToolCall = z.output<typeof toolCall>;

/* The daemon → client side. */

export const toolExecuteParams = z.object({
  request_id: z.string().describe("the call's id ('call_' and 12 hex digits)"),
  tool: z.string(),
  parameters: z.record(z.string(), z.unknown()).describe("the model's arguments, valid against the tool's schema"),
  timeout_ms: z.number().int().describe('how long the daemon waits for the answer'),
  attempt: z.number().int().describe('1: the daemon never retries a call on its own (a tool may have side effects)'),
  session_id: z.string().describe("the session whose infer made the call (always the tool's owner)"),
});
export type ToolExecuteParams = z.output<typeof toolExecuteParams>;

export const TOOL_CANCEL_REASONS = ['cancelled', 'timeout', 'deadline'] as const;
/**
 * Why the daemon no longer waits for a call's answer: the tool's `timeout_ms` passed, the
 * `infer` was cancelled (`$/cancelRequest`, `inference.stream.cancel`), or it outlived the
 * handler deadline. A client that disconnects gets no notice: its tools go with it.
 */
export type ToolCancelReason = (typeof TOOL_CANCEL_REASONS)[number];

export const toolsContract = defineMethods({
  'tools.register': {
    params: toolsRegisterParams,
    result: toolList,
    summary: "Registers (or replaces) the caller's tools, which its own infer calls may use; returns the caller's tools.",
  },
  'tools.unregister': {
    params: toolsUnregisterParams,
    result: z.object({ unregistered: z.array(z.string()).describe('the names that were registered') }),
    summary: "Removes some of the caller's tools.",
  },
  'tools.list': { params: emptyParams, result: toolList, summary: "The caller's tools; a host-role session sees every session's." },
});

export const toolsNotifications = defineNotifications({
  'tools.cancel': z
    .object({ request_id: z.string().describe('the tools.execute call the daemon no longer waits for'), reason: z.enum(TOOL_CANCEL_REASONS) })
    .describe("sent to a tool's owner when the daemon stops waiting for a call's answer"),
});

export const toolsServerRequests = defineServerRequests({
  'tools.execute': {
    params: toolExecuteParams,
    result: z.unknown().describe("the tool's result, any JSON; or answer with a JSON-RPC error whose message the model reads"),
    summary: "Runs one of the client's registered tools for the model; ids are 'srv-<n>'.",
  },
});
