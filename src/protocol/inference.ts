import { z } from 'zod';
import { carries, defineMethods, defineNotifications, returns } from './descriptor.js';
import { emptyParams } from './core.js';
import type { AdmissionStatus } from './core.js';
import { utf8Length } from './text.js';
import { MAX_TOOL_ROUNDS, MAX_TOOLS_PER_SESSION, toolChoice, toolName, type ToolCall, type ToolCallError } from './tools.js';

/** Inference, embeddings, admission and the model catalogue (PROTOCOL.md §11). */

export const MAX_GENERATED_TOKENS = 8192;
export const DEFAULT_MAX_TOKENS = 512;
export const DEFAULT_TEMPERATURE = 0.7;

const modelName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[^/\\\0]+$/, "must be a model name as listed by `car models ls`, not a path");

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

/** `GenerateRequest` (§11.3): our subset of upstream's fields; the upstream-only keys are accepted and ignored. */
export const generateRequestParams = z
  .strictObject({
    model: modelName.optional(),
    prompt: z.string().min(1).optional(),
    messages: z.array(chatMessage).min(1).max(1024).optional(),
    system: z.string().optional(),
    max_tokens: z.number().int().min(1).max(MAX_GENERATED_TOKENS).optional(),
    temperature: z.number().min(0).max(2).optional(),
    top_p: z.number().gt(0).max(1).optional(),
    seed: z.number().int().min(0).max(0xffffffff).optional(),
    stop: z.array(z.string().min(1).max(256)).max(8).optional(),
    response_format: responseFormat.optional(),
    context_query: z.string().min(1).max(4096).optional(),
    /** Names of tools this session registered with `tools.register`. */
    tools: z.array(toolName).max(MAX_TOOLS_PER_SESSION).optional(),
    tool_choice: toolChoice.optional(),
    /** Model turns that may call tools (default 4); the turn after the last must answer in text. */
    max_tool_rounds: z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_TOOL_ROUNDS, `must be at most ${MAX_TOOL_ROUNDS}`).optional(),
    intent: z.unknown().optional(),
    cache_control: z.unknown().optional(),
    client_ref: z.unknown().optional(),
    thinking: z.unknown().optional(),
  })
  .refine((request) => (request.prompt === undefined) !== (request.messages === undefined), {
    message: "pass exactly one of 'prompt' (a single user turn) or 'messages' (a chat history)",
  })
  .superRefine(checkToolOptions);

function checkToolOptions(request: { tools?: string[]; tool_choice?: z.output<typeof toolChoice>; max_tool_rounds?: number; response_format?: unknown }, ctx: z.RefinementCtx): void {
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
    ctx.addIssue({ code: 'custom', path: ['tool_choice', 'name'], message: `'${choice.name}' is not in 'tools'; add it there or pick one of ${tools.join(', ')}` });
  }
  if (request.response_format !== undefined) issue('response_format', "cannot be combined with 'tools' (a tool call and a format grammar exclude each other); drop one");
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
  request_id: z.union([z.string(), z.number()]),
});

export interface TokenUsage {
  input_tokens: number;
  output_tokens: number;
}

/** `"stop"`, `"length"` (hit `max_tokens`), `"cancelled"` or `"local_decode_timeout"`. */
export type StopReason = 'stop' | 'length' | 'cancelled' | 'local_decode_timeout';

export interface InferResult {
  text: string;
  /** Every tool call the model made, in order. */
  tool_calls: ToolCall[];
  usage: TokenUsage;
  model_used: string;
  trace_id: string;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  stop_reason: StopReason | null;
}

export interface InferStreamResult {
  text: string;
  tool_calls: ToolCall[];
  /** Zero tokens both ways when the stream was cancelled before generation started. */
  usage: TokenUsage | null;
  stop_reason: StopReason | null;
  trace_id: string;
  model_used: string;
}

export type InferenceStreamEvent =
  | { type: 'text'; data: string }
  | { type: 'usage'; input_tokens: number; output_tokens: number; cache_read_input_tokens: 0; cache_creation_input_tokens: 0 }
  | { type: 'stop_reason'; data: StopReason | null }
  | { type: 'error'; message: string }
  /** The model called a tool; the daemon now runs it through the owning client. */
  | { type: 'tool_call'; id: string; tool: string; parameters: Record<string, unknown> }
  /** The call ended; the model reads `result`, or the error's message. */
  | ({ type: 'tool_result'; id: string; tool: string; duration_ms: number } & ({ result: unknown } | { error: ToolCallError }));

export interface EmbedResult {
  embeddings: number[][];
  model_used: string;
  dimensions: number;
}

/** The roles a model can serve: `default` for `infer`, `summary` for meeting summaries, `embedding`, `whisper` (speech). */
export type ModelRole = 'default' | 'summary' | 'embedding' | 'whisper';

/** One model file of the models directory, described from its header. */
export interface ModelInfo {
  name: string;
  file: string;
  size_bytes: number;
  /** `null` when the header could not be read; `error` then says why. */
  architecture: string | null;
  context_length: number | null;
  chat_template: boolean;
  default_for: ('generation' | 'embedding')[];
  roles: ModelRole[];
  /** Why the model holds each of its roles. */
  why: Partial<Record<ModelRole, string>>;
  error?: string;
}

/** What meeting summaries use: a model with a chat template, or none (extractive summaries) and why. */
export interface SummaryChoice {
  model: string | null;
  reason: string;
}

export interface ModelsListResult {
  models_dir: string | null;
  models: ModelInfo[];
  summary: SummaryChoice;
}

/* §23 "Models": pull and delete. */
/** `hf:owner/repo/file.gguf`, or an http(s) URL of a `.gguf` file or a whisper.cpp `ggml-*.bin`. */
export const modelsPullParams = z.strictObject({
  uri: z
    .string()
    .max(2048)
    .refine((uri) => /^hf:[^/\s]+\/[^/\s]+(?:\/[^\s]+\.gguf|:[^\s]+)?(?:#[^\s]+)?$/.test(uri) || /^https?:\/\/[^\s]+\/[^/\s]+\.(?:gguf|bin)(?:\?[^\s]*)?$/.test(uri), {
      message: 'must be hf:<owner>/<repo>/<file>.gguf, or an http(s) URL of a .gguf file or a whisper.cpp ggml-*.bin',
    })
    .refine((uri) => !/\.bin(?:\?|$)/.test(uri) || /\/ggml-[^/]+\.bin(?:\?|$)/.test(uri), { message: 'a .bin download must be a whisper.cpp model named ggml-*.bin' }),
  /** Checked after the download; a mismatch removes the file. */
  sha256: z.string().regex(/^[0-9a-fA-F]{64}$/, 'must be 64 hex digits').optional(),
});

export const modelsDeleteParams = z.strictObject({
  name: modelName,
});

export interface ModelPullResult {
  name: string;
  file: string;
  path: string;
  size_bytes: number;
  sha256: string;
  /** The pull continued a partial file an earlier, interrupted pull left. */
  resumed: boolean;
  architecture: string | null;
  chat_template: boolean;
}

export const inferenceContract = defineMethods({
  infer: { params: generateRequestParams, result: returns<InferResult>() },
  infer_stream: { params: generateRequestParams, result: returns<InferStreamResult>() },
  'inference.stream.cancel': { params: streamCancelParams, result: returns<{ cancelled: boolean }>() },
  embed: { params: embedParams, result: returns<EmbedResult>() },
  'admission.status': { params: emptyParams, result: returns<AdmissionStatus>() },
  'models.list': { params: emptyParams, result: returns<ModelsListResult>() },
  'models.pull': { params: modelsPullParams, result: returns<ModelPullResult>() },
  'models.delete': { params: modelsDeleteParams, result: returns<{ name: string; deleted: true }>() },
});

export const inferenceNotifications = defineNotifications({
  'inference.stream.event': carries<{ request_id: string | number; event: InferenceStreamEvent }>(),
  'infer.progress': carries<{ id: string | number }>(),
  'models.pull.progress': carries<{ uri: string; downloaded: number; total: number }>(),
});
