import { join } from 'node:path';
import type { z } from 'zod';
import { ErrorCode, RpcError, internalError, invalidParams } from '../../protocol/errors.js';
import {
  DEFAULT_MAX_TOKENS,
  DEFAULT_TEMPERATURE,
  generateRequestParams,
  type EmbedResult,
  type GenerateRequest,
  type InferResult,
  type StopReason,
  type embedParams,
} from '../../protocol/inference.js';
import { log } from '../log.js';
import { paramsError } from '../rpc/params.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { CapabilityHost, SessionDirectory } from '../state/capability.js';
import type { InferenceAdmission, Permit } from './admission.js';
import { ModelCatalogue } from './catalogue.js';
import { DecodeDeadline } from './decode-deadline.js';
import { InferenceEngine } from './engine.js';
import type { GenerationModel, GenerationOutcome } from './generation-model.js';
import { LazyEngine, type EngineState } from './lazy-engine.js';
import { ModelPuller } from './model-pull.js';
import { StreamRegistry } from './streams.js';
import type { ToolRunner } from './tool-runner.js';
import { randomHex } from '../ids.js';

const DEFAULT_DECODE_TIMEOUT_S = 300;

type ParsedRequest = z.output<typeof generateRequestParams>;

/** What the meetings capability (and any other in-process caller) passes to `generate`. */
export interface GenerateOptions {
  /** Abandons the call: generation stops, a queued call leaves the queue, the permit is released. */
  signal?: AbortSignal;
  /** The session the call acts for: journaled, and the memory graph for `context_query`. */
  sessionId?: string | null;
}

/** How one call runs; `infer`, `infer_stream` and `generate` differ only in these. */
export interface CallOptions {
  /** Journaled as `method`. */
  method: string;
  session: ClientSession | null;
  signal?: AbortSignal;
  /** `inference.stream.cancel`: stop and return the text so far with `stop_reason: "cancelled"`. */
  cancel?: AbortSignal;
  onText?: (chunk: string) => void;
  /** The tools the request names, resolved against the caller's registrations. */
  tools?: ToolRunner;
}

/**
 * `state.inference` (PROTOCOL.md §11): the lazily started node-llama-cpp engine behind the
 * admission gate, the model catalogue, and the one code path every generation takes —
 * RPC `infer` / `infer_stream` and in-process `generate` alike.
 */
export class LocalInference {
  readonly catalogue: ModelCatalogue;
  readonly streams = new StreamRegistry();
  readonly puller: ModelPuller;
  private readonly engine: LazyEngine;
  private readonly decodeTimeoutMs: number;

  constructor(
    private readonly core: CapabilityHost,
    private readonly admission: InferenceAdmission,
    /** Builds the context of `context_query` (§14.4). */
    private readonly memory: Pick<MemoryService, 'buildContext'>,
    private readonly sessions: SessionDirectory,
    injected?: InferenceEngine,
    options: { modelsDir?: string; decodeTimeoutMs?: number } = {},
  ) {
    this.decodeTimeoutMs = options.decodeTimeoutMs ?? DEFAULT_DECODE_TIMEOUT_S * 1000;
    this.catalogue = new ModelCatalogue(options.modelsDir ?? (core.stateRoot === null ? null : join(core.stateRoot, 'models')), core.stateRoot);
    this.puller = new ModelPuller(this.catalogue);
    this.engine = new LazyEngine(() => InferenceEngine.create({ parallelSequences: admission.permitsTotal }), injected);
    // An injected engine belongs to the embedder, who disposes it.
    if (!injected) core.onClose(() => this.engine.dispose());
  }

  getEngine(): Promise<InferenceEngine> {
    return this.engine.getEngine();
  }

  /** For in-process callers: validates `request` like the RPC would, then runs it exactly like `infer`. */
  generate(request: GenerateRequest, options: GenerateOptions = {}): Promise<InferResult> {
    const parsed = generateRequestParams.safeParse(request);
    if (!parsed.success) return Promise.reject(paramsError('generate', generateRequestParams, parsed.error));
    if (parsed.data.tools?.length) return Promise.reject(invalidParams("generate cannot call tools: they run through the client that registered them, so call 'infer' on its connection", { field: 'tools' }));
    const session = options.sessionId ? (this.sessions.get(options.sessionId) ?? null) : null;
    return this.infer(parsed.data, { method: 'generate', session, signal: options.signal });
  }

  async infer(request: ParsedRequest, options: CallOptions): Promise<InferResult> {
    const started = Date.now();
    const traceId = `tr-${randomHex(6)}`;
    let model = request.model ?? null;
    let permit: Permit | null = null;
    try {
      // Resolved before queueing, so a bad name fails at once; every call awaits the same cached header reads, so calls queue in arrival order.
      const ref = await this.catalogue.resolve('generation', request.model);
      model = ref.name;
      permit = await this.admit(options);
      const queuedMs = Date.now() - started;
      let firstTokenAt: number | null = null;
      const timeout = new AbortController();
      const outcome: GenerationOutcome = permit
        ? await (await this.engine.getEngine()).withGenerationModel(ref, (resident) =>
            this.decode(resident, request, options, timeout, () => (firstTokenAt ??= Date.now())),
          )
        : { text: '', stopReason: 'abort', inputTokens: 0, outputTokens: 0 };
      const stopReason = this.stopReasonOf(outcome, options, timeout.signal);
      const result: InferResult = {
        text: outcome.text,
        tool_calls: [...(options.tools?.calls ?? [])],
        usage: { input_tokens: outcome.inputTokens, output_tokens: outcome.outputTokens },
        model_used: ref.name,
        trace_id: traceId,
        latency_ms: Date.now() - started,
        time_to_first_token_ms: firstTokenAt === null ? null : firstTokenAt - started,
        stop_reason: stopReason,
      };
      // Journaled before the permit is released, so the next call's entry always comes later.
      this.core.journal.append('inference_completed', options.session?.id ?? null, {
        method: options.method,
        model: ref.name,
        input_tokens: outcome.inputTokens,
        output_tokens: outcome.outputTokens,
        latency_ms: result.latency_ms,
        queued_ms: queuedMs,
        stop_reason: stopReason,
        trace_id: traceId,
        tool_calls: result.tool_calls.length,
      });
      return result;
    } catch (error) {
      throw this.failed(error, options, model);
    } finally {
      permit?.release();
    }
  }

  async embed(params: z.output<typeof embedParams>, options: CallOptions): Promise<EmbedResult> {
    const started = Date.now();
    let model = params.model ?? null;
    let permit: Permit | null = null;
    try {
      const ref = await this.catalogue.resolve('embedding', params.model);
      model = ref.name;
      permit = await this.admit(options);
      const queuedMs = Date.now() - started;
      const embeddings = await (await this.engine.getEngine()).embed(ref, params.texts, options.signal);
      this.core.journal.append('inference_completed', options.session?.id ?? null, {
        method: options.method,
        model: ref.name,
        input_tokens: embeddings.inputTokens,
        output_tokens: 0,
        latency_ms: Date.now() - started,
        queued_ms: queuedMs,
        stop_reason: null,
      });
      return { embeddings: embeddings.vectors, model_used: ref.name, dimensions: embeddings.dimensions };
    } catch (error) {
      throw this.failed(error, options, model);
    } finally {
      permit?.release();
    }
  }

  /** `daemon.status` `inference`: the engine's state, then the generation model's. */
  status(): { state: EngineState; model: string | null } {
    const engine = this.engine.current;
    if (!engine) return { state: this.engine.state, model: null };
    const generation = engine.generationStatus();
    return { state: generation.loading ? 'loading' : generation.failed ? 'failed' : 'ready', model: generation.model };
  }

  /** A permit, or `null` when the call was cancelled while it queued. */
  private async admit(options: CallOptions): Promise<Permit | null> {
    try {
      return await this.admission.acquire(anySignal(options.signal, options.cancel));
    } catch (error) {
      if (options.cancel?.aborted && !options.signal?.aborted) return null;
      throw error;
    }
  }

  private async decode(resident: GenerationModel, request: ParsedRequest, options: CallOptions, timeout: AbortController, onTokens: () => void): Promise<GenerationOutcome> {
    options.signal?.throwIfAborted();
    const system = await this.systemPrompt(request, options.session, resident.contextWindow);
    const deadline = new DecodeDeadline(this.decodeTimeoutMs, () => timeout.abort(new Error('local decode timeout')));
    try {
      return await resident.generate(
        {
          prompt: request.prompt,
          messages: request.messages,
          system,
          maxTokens: request.max_tokens ?? DEFAULT_MAX_TOKENS,
          temperature: request.temperature ?? DEFAULT_TEMPERATURE,
          topP: request.top_p,
          seed: request.seed,
          stop: request.stop,
          responseFormat: request.response_format,
          tools: options.tools && deadline.excluding(options.tools),
        },
        {
          signal: anySignal(options.signal, options.cancel, timeout.signal),
          onText: options.onText,
          onTokens,
        },
      );
    } finally {
      deadline.clear();
    }
  }

  /** `context_query` (§11.3): the caller's memory context goes ahead of its system prompt. */
  private async systemPrompt(request: ParsedRequest, session: ClientSession | null, contextWindow: number): Promise<string | undefined> {
    if (request.context_query === undefined || session === null) return request.system;
    const context = await this.memory.buildContext(session, request.context_query, contextWindow);
    return [context, request.system].filter(Boolean).join('\n\n') || undefined;
  }

  private stopReasonOf(outcome: GenerationOutcome, options: CallOptions, timeout: AbortSignal): StopReason {
    if (outcome.stopReason !== 'abort') return outcome.stopReason;
    if (options.signal?.aborted) throw aborted(options.signal);
    if (options.cancel?.aborted) return 'cancelled';
    if (timeout.aborted && outcome.text === '') {
      throw internalError(
        `local decoding produced no text within CAR_LOCAL_DECODE_TIMEOUT_SECS (${this.decodeTimeoutMs / 1000}s); raise it, or set it to 0 to remove the bound`,
        { kind: 'local_decode_timeout' },
      );
    }
    return 'local_decode_timeout';
  }

  /** Journals `inference_failed` (metadata only) and returns the error to send. */
  private failed(error: unknown, options: CallOptions, model: string | null): RpcError {
    let rpcError: RpcError;
    if (error instanceof RpcError) rpcError = error;
    else if (options.signal?.aborted) rpcError = aborted(options.signal);
    else {
      log.failure('error', 'inference failed', error, { method: options.method, model });
      rpcError = internalError(`${options.method} failed in the inference engine: ${String((error as Error)?.message ?? error).slice(0, 200)}; see the daemon log`);
    }
    this.core.journal.append('inference_failed', options.session?.id ?? null, { method: options.method, model, error_kind: errorKind(rpcError) });
    return rpcError;
  }
}

function aborted(signal: AbortSignal): RpcError {
  if (signal.reason instanceof RpcError) return signal.reason;
  const reason = signal.reason instanceof Error ? signal.reason.message : 'aborted';
  return internalError(`inference stopped before it finished (${reason})`, { kind: 'aborted' });
}

function errorKind(error: RpcError): string {
  if (typeof error.data?.kind === 'string') return error.data.kind;
  if (error.code === ErrorCode.InvalidParams) return 'invalid_params';
  if (error.code === ErrorCode.DeadlineExceeded) return 'deadline';
  return 'internal';
}

function anySignal(...signals: (AbortSignal | undefined)[]): AbortSignal | undefined {
  const present = signals.filter((signal): signal is AbortSignal => signal !== undefined);
  return present.length <= 1 ? present[0] : AbortSignal.any(present);
}
