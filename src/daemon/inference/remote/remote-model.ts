import OpenAI, { APIConnectionError, APIConnectionTimeoutError, RateLimitError } from 'openai';
import type { ChatCompletionCreateParamsStreaming } from 'openai/resources/chat/completions';
import type { RemoteModelInfo } from '../../../protocol/inference.js';
import { RpcError, unavailable } from '../../../protocol/errors.js';
import { PermitQueue } from '../admission.js';
import type { Embeddings } from '../embedding-model.js';
import type { GenerationInput, GenerationOptions, GenerationOutcome } from '../generation-model.js';
import { describeNetworkError, isConnectFailure } from '../network-error.js';
import { Watchdog } from '../watchdog.js';
import { apiKeySource, readApiKey } from './api-key.js';
import { chatCompletionRequest } from './openai-request.js';
import { remoteError, scrub, type RemoteCall } from './remote-errors.js';
import type { RemoteModelConfig } from './remote-store.js';
import { chatWithRemoteTools, type RemoteTurn, type StreamTurn } from './remote-tool-chat.js';
import { ToolCallDeltas } from './tool-call-deltas.js';

/** Retries happen only before any output: a connect failure (nothing reached the server) or a 429 that says when to come back. */
const MAX_RETRIES = 2;
const CONNECT_RETRY_MS = [250, 1000];
const MAX_RETRY_AFTER_MS = 30_000;
/** A reachability check in `models.list` waits at most this long. */
const CHECK_TIMEOUT_MS = 3000;

/**
 * One model on an OpenAI-compatible server, through the `openai` client: streamed chat
 * completions (for `infer` too, see openai-request.ts) with tool calls passed through,
 * embeddings, a reachability check,
 * and its own admission gate (`max_concurrent`), separate from the local RAM-sized one.
 */
export class RemoteModel {
  readonly gate: PermitQueue;
  private cachedClient: { key: string | null; client: OpenAI } | null = null;

  constructor(
    readonly config: RemoteModelConfig,
    /** No data from the server for this long fails the call. */
    private readonly idleTimeoutMs: number,
  ) {
    this.gate = new PermitQueue(config.max_concurrent);
  }

  get name(): string {
    return this.config.name;
  }

  /**
   * Streams the completion, turn by turn when the input has tools (remote-tool-chat.ts);
   * `signal` stops it (the HTTP request is aborted, a pending tool call cancelled) and the
   * text so far comes back with `stopReason: 'abort'`.
   */
  async generate(input: GenerationInput, options: GenerationOptions): Promise<GenerationOutcome> {
    const key = readApiKey(this.config);
    const streamTurn: StreamTurn = (request) => this.streamTurn(request, key, options);
    if (input.tools) return chatWithRemoteTools(this.config.model, input, input.tools, streamTurn, options.signal);
    const { toolCalls: _toolCalls, ...outcome } = await streamTurn(chatCompletionRequest(this.config.model, input));
    return outcome;
  }

  /** One request: text deltas to `onText`, `tool_calls` deltas put together by index; the stall watchdog runs only while it streams. */
  private async streamTurn(
    request: ChatCompletionCreateParamsStreaming,
    key: string | null,
    { signal, onText, onTokens }: GenerationOptions,
  ): Promise<RemoteTurn> {
    const idle = new AbortController();
    const watchdog = new Watchdog(this.idleTimeoutMs, () => idle.abort(new Error('stalled')));
    const abort = signal ? AbortSignal.any([signal, idle.signal]) : idle.signal;
    const toolCalls = new ToolCallDeltas();
    let text = '';
    let chunks = 0;
    let usage: { prompt_tokens: number; completion_tokens: number } | null = null;
    let finish: string | null = null;
    const turn = (stopReason: GenerationOutcome['stopReason']): RemoteTurn => ({
      text,
      stopReason,
      inputTokens: usage?.prompt_tokens ?? 0,
      outputTokens: usage?.completion_tokens ?? chunks,
      toolCalls: toolCalls.calls(),
    });
    try {
      const stream = await withRetries(() => this.client(key).chat.completions.create(request, { signal: abort }), abort);
      for await (const chunk of stream) {
        watchdog.kick();
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices[0];
        const delta = choice?.delta?.content;
        if (delta) {
          chunks++;
          text += delta;
          onTokens?.();
          onText?.(delta);
        }
        if (choice?.delta?.tool_calls?.length) {
          chunks++;
          toolCalls.add(choice.delta.tool_calls);
          onTokens?.();
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
      if (finish === null)
        throw unavailable(`${this.where}: the stream ended after ${chunks} chunks without the server saying it was done (cut off?)`, {
          kind: 'remote_cut',
          model: this.name,
        });
      return turn(finish === 'length' ? 'length' : 'stop');
    } catch (error) {
      if (signal?.aborted) return turn('abort');
      if (watchdog.fired) throw this.stalled(chunks);
      if (error instanceof RpcError) throw error;
      if (chunks > 0 && !(error instanceof APIConnectionError)) {
        throw unavailable(`${this.where}: the stream was cut after ${chunks} chunks (${scrub(describeNetworkError(error), key)})`, {
          kind: 'remote_cut',
          model: this.name,
        });
      }
      throw remoteError(error, this.call(key));
    } finally {
      watchdog.stop();
    }
  }

  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Embeddings & { dimensions: number }> {
    const key = readApiKey(this.config);
    try {
      const response = await withRetries(
        () => this.client(key).embeddings.create({ model: this.config.model, input: [...texts], encoding_format: 'float' }, { signal }),
        signal,
      );
      const vectors = [...response.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
      if (vectors.length !== texts.length)
        throw unavailable(`${this.where}: the server returned ${vectors.length} embeddings for ${texts.length} texts`, {
          kind: 'remote_failed',
          model: this.name,
        });
      return { vectors, inputTokens: response.usage?.prompt_tokens ?? 0, dimensions: vectors[0]?.length ?? 0 };
    } catch (error) {
      if (error instanceof RpcError) throw error;
      if (signal?.aborted) throw signal.reason;
      throw remoteError(error, this.call(key));
    }
  }

  /** What `models.list` shows; `check` asks the server's `/models` (at most 3 s), else `reachable` is `null`. */
  async describe(check: boolean): Promise<Omit<RemoteModelInfo, 'roles' | 'why' | 'default_for'>> {
    const { reachable, status } = check ? await this.check() : { reachable: null, status: 'not checked' };
    return {
      name: this.name,
      source: 'remote',
      url: this.config.url,
      remote_model: this.config.model,
      api_key: apiKeySource(this.config),
      serves: this.config.roles,
      max_concurrent: this.config.max_concurrent,
      context_length: this.config.context_length,
      reachable,
      status,
    };
  }

  private async check(): Promise<{ reachable: boolean; status: string }> {
    let key: string | null;
    try {
      key = readApiKey(this.config);
    } catch (error) {
      return { reachable: false, status: (error as Error).message };
    }
    try {
      const page = await this.client(key).models.list({ timeout: Math.min(CHECK_TIMEOUT_MS, this.idleTimeoutMs), maxRetries: 0 });
      const ids = page.data.map((model) => model.id);
      if (ids.includes(this.config.model)) return { reachable: true, status: 'ok' };
      return { reachable: true, status: `the server does not list model '${this.config.model}' (it lists ${ids.slice(0, 5).join(', ') || 'none'})` };
    } catch (error) {
      return { reachable: false, status: remoteError(error, this.call(key)).message };
    }
  }

  private get where(): string {
    return `remote model '${this.name}' (${this.config.url})`;
  }

  private stalled(chunks: number): RpcError {
    return unavailable(
      `${this.where}: no data from the server for ${Math.round(this.idleTimeoutMs / 1000)} s${chunks ? ` after ${chunks} chunks` : ''}; check the server, or raise CAR_REMOTE_TIMEOUT_SECS`,
      { kind: 'remote_stalled', model: this.name },
    );
  }

  private call(key: string | null): RemoteCall {
    return { model: this.name, url: this.config.url, key };
  }

  /** One client per key; the SDK's own environment defaults (OPENAI_API_KEY, OPENAI_BASE_URL, …) are never used. */
  private client(key: string | null): OpenAI {
    if (this.cachedClient?.key === key) return this.cachedClient.client;
    const client = new OpenAI({
      baseURL: this.config.url,
      apiKey: key ?? 'unused',
      adminAPIKey: null,
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: this.idleTimeoutMs,
      // Without a key no Authorization header is sent at all.
      ...(key === null && { defaultHeaders: { Authorization: null } }),
    });
    this.cachedClient = { key, client };
    return client;
  }
}

async function withRetries<T>(attempt: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let tries = 0; ; tries++) {
    try {
      return await attempt();
    } catch (error) {
      const wait = tries < MAX_RETRIES && !signal?.aborted ? retryDelay(error, tries) : null;
      if (wait === null) throw error;
      await sleep(wait, signal);
    }
  }
}

function retryDelay(error: unknown, tries: number): number | null {
  if (error instanceof APIConnectionError && !(error instanceof APIConnectionTimeoutError) && isConnectFailure(error)) return CONNECT_RETRY_MS[tries] ?? null;
  if (error instanceof RateLimitError) {
    const header = error.headers?.get('retry-after-ms') ?? null;
    const seconds = error.headers?.get('retry-after') ?? null;
    const ms = header !== null ? Number(header) : seconds !== null && /^\d+(\.\d+)?$/.test(seconds.trim()) ? Number(seconds) * 1000 : NaN;
    return ms >= 0 && ms <= MAX_RETRY_AFTER_MS ? ms : null;
  }
  return null;
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
