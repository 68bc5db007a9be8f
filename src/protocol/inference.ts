import { z } from 'zod';
import { carries, defineMethods, defineNotifications, returns } from './descriptor.js';
import { emptyParams } from './core.js';
import type { AdmissionStatus } from './core.js';
import { utf8Length } from './text.js';

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
    tools: z.array(z.unknown()).max(0, { message: 'tool calling is not supported by this daemon; remove tools' }).optional(),
    intent: z.unknown().optional(),
    cache_control: z.unknown().optional(),
    client_ref: z.unknown().optional(),
    thinking: z.unknown().optional(),
  })
  .refine((request) => (request.prompt === undefined) !== (request.messages === undefined), {
    message: "pass exactly one of 'prompt' (a single user turn) or 'messages' (a chat history)",
  });

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
  tool_calls: never[];
  usage: TokenUsage;
  model_used: string;
  trace_id: string;
  latency_ms: number;
  time_to_first_token_ms: number | null;
  stop_reason: StopReason | null;
}

export interface InferStreamResult {
  text: string;
  tool_calls: never[];
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
  | { type: 'error'; message: string };

export interface EmbedResult {
  embeddings: number[][];
  model_used: string;
  dimensions: number;
}

/** The roles a model can serve: `default` for `infer`, `summary` for meeting summaries, `embedding`, `whisper` (speech). */
export type ModelRole = 'default' | 'summary' | 'embedding' | 'whisper';

/** What local and remote entries of `models.list` share. */
interface ModelEntry {
  name: string;
  default_for: ('generation' | 'embedding')[];
  roles: ModelRole[];
  /** Why the model holds each of its roles. */
  why: Partial<Record<ModelRole, string>>;
}

/** One model file of the models directory, described from its header. */
export interface LocalModelInfo extends ModelEntry {
  source: 'local';
  file: string;
  size_bytes: number;
  /** `null` when the header could not be read; `error` then says why. */
  architecture: string | null;
  context_length: number | null;
  chat_template: boolean;
  error?: string;
}

/** What a remote model may be used for: `chat` (infer), `summary` (meeting summaries), `embedding` (embed). */
export type RemoteRole = 'chat' | 'summary' | 'embedding';
export const REMOTE_ROLES = ['chat', 'summary', 'embedding'] as const satisfies readonly RemoteRole[];

/** Where a remote model's API key comes from; the key itself is never stored or shown. */
export type ApiKeySource = { env: string } | { file: string } | null;

/** A model served by an OpenAI-compatible server (`car models add`). */
export interface RemoteModelInfo extends ModelEntry {
  source: 'remote';
  /** The server's base URL (ending in /v1 for most servers). */
  url: string;
  /** The model id the server knows it by. */
  remote_model: string;
  api_key: ApiKeySource;
  /** The roles it was added for; `roles` says which of them it holds now. */
  serves: RemoteRole[];
  max_concurrent: number;
  /** Tokens one call may use, as given at `models add` (the server's own limit is not queried). */
  context_length: number;
  /** `null` when not checked (the listing was asked without checks). */
  reachable: boolean | null;
  /** `ok`, or why the server cannot be used (status and message, never the key). */
  status: string;
}

export type ModelInfo = LocalModelInfo | RemoteModelInfo;
export const isLocalModel = (model: ModelInfo): model is LocalModelInfo => model.source === 'local';

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
  'models.add': { params: modelsAddParams, result: returns<RemoteModelInfo>() },
});

export const inferenceNotifications = defineNotifications({
  'inference.stream.event': carries<{ request_id: string | number; event: InferenceStreamEvent }>(),
  'infer.progress': carries<{ id: string | number }>(),
  /** `total` is `null` when the server does not announce a length. */
  'models.pull.progress': carries<{ uri: string; downloaded: number; total: number | null }>(),
});
