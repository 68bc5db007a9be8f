import { z } from 'zod';
import { defineMethods, defineNotifications } from './descriptor.js';
import { admissionStatus, emptyParams } from './core.js';
import { utf8Length } from './text.js';
import { MAX_TOOL_ROUNDS, MAX_TOOLS_PER_SESSION, toolCall, toolCallError, toolChoice, toolName } from './tools.js';

/** Inference, embeddings, admission and the model catalogue (docs/protocol.md#namespace-inference). */

export const MAX_GENERATED_TOKENS = 8192;
export const DEFAULT_MAX_TOKENS = 512;
export const DEFAULT_TEMPERATURE = 0.7;

const modelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^/\\\0]+$/, 'must be a model name as listed by `car models ls`, not a path');

const chatMessage = z.strictObject({
  role: z.enum(['system', 'user', 'assistant']),
  content: z.string(),
});

const responseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    schema: z.record(z.string(), z.unknown()),
    strict: z.boolean().optional(),
    name: z.string().max(64).optional(),
  }),
]);

/** `GenerateRequest` (docs/protocol.md#infer): our subset of upstream's fields; the upstream-only keys are accepted and ignored. */
export const generateRequestParams = z
  .strictObject({
    model: modelName.optional().describe('a name from models.list; the default generation model when left out'),
    prompt: z.string().min(1).optional().describe("one user turn; pass exactly one of 'prompt' and 'messages'"),
    messages: z.array(chatMessage).min(1).max(1024).optional().describe('a chat history'),
    system: z.string().optional(),
    max_tokens: z.number().int().min(1).max(MAX_GENERATED_TOKENS).optional().describe(`${DEFAULT_MAX_TOKENS} when left out`),
    temperature: z.number().min(0).max(2).optional().describe(`${DEFAULT_TEMPERATURE} when left out`),
    top_p: z.number().gt(0).max(1).optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    stop: z.array(z.string().min(1).max(256)).max(8).optional(),
    response_format: responseFormat.optional().describe('constrains the output to JSON (a grammar)'),
    context_query: z.string().min(1).max(4096).optional().describe("prepends memory.build_context's text for this query"),
    tools: z.array(toolName).max(MAX_TOOLS_PER_SESSION).optional().describe('names of tools this session registered with tools.register'),
    tool_choice: toolChoice.optional(),
    max_tool_rounds: z
      .number()
      .int('must be a whole number')
      .min(1, 'must be at least 1')
      .max(MAX_TOOL_ROUNDS, `must be at most ${MAX_TOOL_ROUNDS}`)
      .optional()
      .describe('model turns that may call tools (default 4); the turn after the last must answer in text'),
    intent: z.unknown().optional().describe('accepted and ignored (upstream)'),
    cache_control: z.unknown().optional().describe('accepted and ignored (upstream)'),
    client_ref: z.unknown().optional().describe('accepted and ignored (upstream)'),
    thinking: z.unknown().optional().describe('accepted and ignored (upstream)'),
  })
  .refine((request) => (request.prompt === undefined) !== (request.messages === undefined), {
    message: "pass exactly one of 'prompt' (a single user turn) or 'messages' (a chat history)",
  })
  .superRefine(checkToolOptions);

function checkToolOptions(
  request: { tools?: string[]; tool_choice?: z.output<typeof toolChoice>; max_tool_rounds?: number; response_format?: unknown },
  ctx: z.RefinementCtx,
): void {
  const tools = request.tools ?? [];
  const issue = (path: string, message: string) => ctx.addIssue({ code: 'custom', path: [path], message });
  if (tools.length === 0) {
    if (request.tool_choice !== undefined) issue('tool_choice', "needs 'tools': name the registered tools the model may call");
    if (request.max_tool_rounds !== undefined) issue('max_tool_rounds', "needs 'tools': name the registered tools the model may call");
    return;
  }
  const twice = tools.findIndex((name, index) => tools.indexOf(name) !== index);
  if (twice >= 0) ctx.addIssue({ code: 'custom', path: ['tools', twice], message: `names '${tools[twice]}' twice; list each tool once` });
  const choice = request.tool_choice;
  if (typeof choice === 'object' && !tools.includes(choice.name)) {
    ctx.addIssue({
      code: 'custom',
      path: ['tool_choice', 'name'],
      message: `'${choice.name}' is not in 'tools'; add it there or pick one of ${tools.join(', ')}`,
    });
  }
  if (request.response_format !== undefined)
    issue('response_format', "cannot be combined with 'tools' (a tool call and a format grammar exclude each other); drop one");
}

export type GenerateRequest = z.input<typeof generateRequestParams>;
export type ChatMessage = z.output<typeof chatMessage>;

const MAX_EMBED_TEXT_BYTES = 32 * 1024;

export const embedParams = z.strictObject({
  texts: z
    .array(
      z
        .string()
        .min(1)
        .refine((text) => utf8Length(text) <= MAX_EMBED_TEXT_BYTES, { message: 'each text must be at most 32 KiB' }),
    )
    .min(1)
    .max(256),
  model: modelName.optional(),
});

export const streamCancelParams = z.strictObject({
  request_id: z.union([z.string(), z.number()]).describe("the infer_stream request's id"),
});

const tokenUsage = z.object({ input_tokens: z.number().int(), output_tokens: z.number().int() });
export type TokenUsage = z.output<typeof tokenUsage>;

export const STOP_REASONS = ['stop', 'length', 'cancelled', 'local_decode_timeout'] as const;
/** `"stop"`, `"length"` (hit `max_tokens`), `"cancelled"` or `"local_decode_timeout"`. */
export type StopReason = (typeof STOP_REASONS)[number];
const stopReason = z
  .enum(STOP_REASONS)
  .nullable()
  .describe("'stop', 'length' (hit max_tokens), 'cancelled' or 'local_decode_timeout' (CAR_LOCAL_DECODE_TIMEOUT_SECS; the text so far is kept)");

const toolCalls = z.array(toolCall).describe('every tool call the model made, in order');
const traceId = z.string().describe("'tr-' and 12 hex digits, also in the journal");

export const inferResult = z.object({
  text: z.string(),
  tool_calls: toolCalls,
  usage: tokenUsage,
  model_used: z.string(),
  trace_id: traceId,
  latency_ms: z.number(),
  time_to_first_token_ms: z.number().nullable(),
  stop_reason: stopReason,
});
export type InferResult = z.output<typeof inferResult>;

export const inferStreamResult = z.object({
  text: z.string().describe('all the text the stream sent'),
  tool_calls: toolCalls,
  usage: tokenUsage.nullable().describe('zero tokens both ways when the stream was cancelled before generation started'),
  stop_reason: stopReason,
  trace_id: traceId,
  model_used: z.string(),
});
export type InferStreamResult = z.output<typeof inferStreamResult>;

export const inferenceStreamEvent = z
  // A plain union: the two `tool_result` forms share their tag.
  .union([
    z.object({ type: z.literal('text'), data: z.string().describe('the next chunk of text') }),
    z.object({
      type: z.literal('usage'),
      input_tokens: z.number().int(),
      output_tokens: z.number().int(),
      cache_read_input_tokens: z.literal(0),
      cache_creation_input_tokens: z.literal(0),
    }),
    z.object({ type: z.literal('stop_reason'), data: stopReason }),
    z.object({ type: z.literal('error'), message: z.string().describe('the final response is then an error') }),
    z
      .object({ type: z.literal('tool_call'), id: z.string(), tool: z.string(), parameters: z.record(z.string(), z.unknown()) })
      .describe('the model called a tool; the daemon now runs it through the owning client'),
    z
      .union([
        z.object({ type: z.literal('tool_result'), id: z.string(), tool: z.string(), duration_ms: z.number(), error: toolCallError }),
        z.object({ type: z.literal('tool_result'), id: z.string(), tool: z.string(), duration_ms: z.number(), result: z.unknown() }),
      ])
      .describe("the call ended; the model reads `result`, or the error's message"),
  ])
  .meta({ id: 'InferenceStreamEvent' });
export type InferenceStreamEvent = z.output<typeof inferenceStreamEvent>;

export const embedResult = z.object({
  embeddings: z.array(z.array(z.number())).describe('one vector per text, in input order'),
  model_used: z.string(),
  dimensions: z.number().int(),
});
export type EmbedResult = z.output<typeof embedResult>;

const INFERENCE_ROLES = ['default', 'summary', 'embedding'] as const;
/**
 * The roles a model can serve: `default` for `infer`, `summary` for meeting summaries,
 * `embedding`, or the role a speech engine declares for its model file (`whisper`): the
 * engines are listed in the daemon, so the contract names their roles by pattern, not one by one.
 */
const modelRole = z.union([
  z.enum(INFERENCE_ROLES),
  z
    .string()
    .regex(/^[a-z][a-z0-9_-]*$/)
    .describe("a speech engine's model (e.g. 'whisper')"),
]);
export type ModelRole = z.output<typeof modelRole>;

/** What local and remote entries of `models.list` share. */
const modelEntry = {
  name: z.string().describe('what `model` params take'),
  default_for: z.array(z.enum(['generation', 'embedding'])),
  roles: z.array(modelRole).describe("'default' for infer, 'summary' for meeting summaries, 'embedding', or a speech engine's model ('whisper')"),
  why: z.partialRecord(modelRole, z.string()).describe('why the model holds each of its roles'),
};

/** One model file of the models directory, described from its header. */
export const localModelInfo = z
  .object({
    source: z.literal('local'),
    ...modelEntry,
    file: z.string(),
    size_bytes: z.number().int(),
    architecture: z.string().nullable().describe('null when the header could not be read; `error` then says why'),
    context_length: z.number().int().nullable(),
    chat_template: z.boolean(),
    error: z.string().optional(),
  })
  .meta({ id: 'LocalModelInfo' });
export type LocalModelInfo = z.output<typeof localModelInfo>;

export const REMOTE_ROLES = ['chat', 'summary', 'embedding'] as const;
/** What a remote model may be used for: `chat` (infer), `summary` (meeting summaries), `embedding` (embed). */
export type RemoteRole = (typeof REMOTE_ROLES)[number];

/** Where a remote model's API key comes from; the key itself is never stored or shown. */
const apiKeySource = z
  .union([z.object({ env: z.string() }), z.object({ file: z.string() })])
  .nullable()
  .describe('the variable or file the daemon reads the key from; the key itself is never stored or shown');
export type ApiKeySource = z.output<typeof apiKeySource>;

/** A model served by an OpenAI-compatible server (`car models add`). */
export const remoteModelInfo = z
  .object({
    source: z.literal('remote'),
    ...modelEntry,
    url: z.string().describe("the server's base URL (ending in /v1 for most servers)"),
    remote_model: z.string().describe('the model id the server knows it by'),
    api_key: apiKeySource,
    serves: z.array(z.enum(REMOTE_ROLES)).describe('the roles it was added for; `roles` says which of them it holds now'),
    max_concurrent: z.number().int().describe('its own admission gate'),
    context_length: z.number().int().describe('tokens one call may use, as given at `models add`'),
    reachable: z.boolean().nullable().describe('null when not checked'),
    status: z.string().describe('`ok`, or why the server cannot be used (status and message, never the key)'),
  })
  .meta({ id: 'RemoteModelInfo' });
export type RemoteModelInfo = z.output<typeof remoteModelInfo>;

export const modelInfo = z.discriminatedUnion('source', [localModelInfo, remoteModelInfo]).meta({ id: 'ModelInfo' });
export type ModelInfo = z.output<typeof modelInfo>;
export const isLocalModel = (model: ModelInfo): model is LocalModelInfo => model.source === 'local';

/** What meeting summaries use: a model with a chat template, or none (extractive summaries) and why. */
export const summaryChoice = z.object({ model: z.string().nullable(), reason: z.string() });
export type SummaryChoice = z.output<typeof summaryChoice>;

export const modelsListResult = z.object({
  models_dir: z.string().nullable(),
  models: z.array(modelInfo),
  summary: summaryChoice.describe('what meeting summaries use: a model with a chat template, or none (extractive summaries) and why'),
});
export type ModelsListResult = z.output<typeof modelsListResult>;

/* Pull and delete (docs/protocol.md#models-pull, docs/protocol.md#models-delete). */
/** `hf:owner/repo/file.gguf`, or an http(s) URL of a `.gguf` file or a whisper.cpp `ggml-*.bin`. */
export const modelsPullParams = z.strictObject({
  uri: z
    .string()
    .max(2048)
    .refine(
      (uri) => /^hf:[^/\s]+\/[^/\s]+(?:\/[^\s]+\.gguf|:[^\s]+)?(?:#[^\s]+)?$/.test(uri) || /^https?:\/\/[^\s]+\/[^/\s]+\.(?:gguf|bin)(?:\?[^\s]*)?$/.test(uri),
      {
        message: 'must be hf:<owner>/<repo>/<file>.gguf, or an http(s) URL of a .gguf file or a whisper.cpp ggml-*.bin',
      },
    )
    .refine((uri) => !/\.bin(?:\?|$)/.test(uri) || /\/ggml-[^/]+\.bin(?:\?|$)/.test(uri), {
      message: 'a .bin download must be a whisper.cpp model named ggml-*.bin',
    }),
  /** Checked after the download; a mismatch removes the file. */
  sha256: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits')
    .optional()
    .describe('checked after the download; a mismatch removes the file'),
});

export const modelsDeleteParams = z.strictObject({
  name: modelName,
});

/** `car models add`: a remote model; the key is named by variable or file, never sent. */
export const modelsAddParams = z
  .strictObject({
    name: modelName,
    url: z
      .string()
      .max(2048)
      .regex(/^https?:\/\/[^\s?#]+$/, 'must be the http(s) base URL of an OpenAI-compatible server, e.g. http://127.0.0.1:8080/v1 (no query or fragment)'),
    model: z.string().min(1).max(256),
    api_key_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be the name of an environment variable of the daemon')
      .optional(),
    api_key_file: z.string().regex(/^\/\S/, 'must be an absolute path to a file holding the key').max(4096).optional(),
    roles: z.array(z.enum(REMOTE_ROLES)).max(3).default([]),
    max_concurrent: z.number().int().min(1).max(64).default(4),
    context_length: z.number().int().min(256).max(10_000_000).default(4096),
  })
  .refine((params) => params.api_key_env === undefined || params.api_key_file === undefined, { message: 'pass at most one of api_key_env and api_key_file' });

export const modelPullResult = z.object({
  name: z.string(),
  file: z.string(),
  path: z.string(),
  size_bytes: z.number().int(),
  sha256: z.string(),
  resumed: z.boolean().describe('the pull continued a partial file an earlier, interrupted pull left'),
  architecture: z.string().nullable(),
  chat_template: z.boolean(),
});
export type ModelPullResult = z.output<typeof modelPullResult>;

const requestId = z.union([z.string(), z.number()]);

export const inferenceContract = defineMethods({
  infer: {
    params: generateRequestParams,
    result: inferResult,
    summary: 'Generates text with a local model, under the admission gate; sends infer.progress every ~10 s while outstanding.',
  },
  infer_stream: {
    params: generateRequestParams,
    result: inferStreamResult,
    summary: 'Like infer, streaming inference.stream.event notifications; the final response follows the last event. Needs a request id.',
  },
  'inference.stream.cancel': {
    params: streamCancelParams,
    result: z.object({ cancelled: z.boolean().describe('false for an unknown or finished stream') }),
    summary: "Cancels one of the caller's streams; the stream still answers, with stop_reason 'cancelled'.",
  },
  embed: { params: embedParams, result: embedResult, summary: 'Embedding vectors for 1-256 texts, under the admission gate.' },
  'admission.status': { params: emptyParams, result: admissionStatus, summary: 'A snapshot of the inference admission gate (permits, queue).' },
  'models.list': {
    params: emptyParams,
    result: modelsListResult,
    summary: 'The model files of the models directory and the remote models, their roles and the summary model.',
  },
  'models.pull': {
    params: modelsPullParams,
    result: modelPullResult,
    summary: 'Downloads a model into the models directory (resumable), sending models.pull.progress to the caller.',
  },
  'models.delete': {
    params: modelsDeleteParams,
    result: z.object({ name: z.string(), deleted: z.literal(true) }),
    summary: 'Removes a model file and any partial download, or a remote model (host role).',
  },
  'models.add': {
    params: modelsAddParams,
    result: remoteModelInfo,
    summary: 'Adds (or replaces) a remote model served by an OpenAI-compatible server (host role); the key is named by variable or file, never sent.',
  },
});

export const inferenceNotifications = defineNotifications({
  'inference.stream.event': z.object({ request_id: requestId.describe("the infer_stream request's id"), event: inferenceStreamEvent }),
  'infer.progress': z.object({ id: requestId.describe("the infer request's id") }).describe('sent every ~10 s while an infer is queued, loading or generating'),
  'models.pull.progress': z.object({
    uri: z.string(),
    downloaded: z.number().int(),
    total: z.number().int().nullable().describe('null when the server announces no length'),
  }),
});
