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
  type ModelsListResult,
  type StopReason,
  type SummaryChoice,
  type embedParams,
} from '../../protocol/inference.js';
import type { AdmissionStatus } from '../../protocol/core.js';
import { log } from '../log.js';
import { paramsError } from '../rpc/params.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { CapabilityHost, SessionDirectory } from '../state/capability.js';
import type { InferenceAdmission, Permit } from './admission.js';
import { ModelCatalogue } from './catalogue.js';
import { DecodeDeadline } from './decode-deadline.js';
import { InferenceEngine, type ModelRef } from './engine.js';
import type { GenerationInput, GenerationModel, GenerationOutcome } from './generation-model.js';
import { LazyEngine, type EngineState } from './lazy-engine.js';
import { DEFAULT_PULL_POLICY, ModelPuller, type PullPolicy } from './model-pull.js';
import { listModels } from './model-listing.js';
import type { RemoteModel } from './remote/remote-model.js';
import { RemoteModels } from './remote/remote-models.js';
import { StreamRegistry } from './streams.js';
import type { ToolRunner } from './tool-runner.js';
import { randomHex } from '../ids.js';

const DEFAULT_DECODE_TIMEOUT_S = 300;
const DEFAULT_REMOTE_TIMEOUT_S = 120;

export interface InferenceOptions {
  modelsDir?: string;
  decodeTimeoutMs?: number;
  /** Remote models: no data from their server for this long fails a call (120 s). */
  remoteTimeoutMs?: number;
  pulls?: Partial<PullPolicy>;
}

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
 * `state.inference` (docs/protocol.md#namespace-inference): the lazily started node-llama-cpp engine behind the
 * admission gate, the model catalogue, the remote models (each behind its own gate), and
 * the one code path every generation takes — RPC `infer` / `infer_stream` and in-process
 * `generate` alike, local or remote.
 */
export class LocalInference {
  readonly catalogue: ModelCatalogue;
  readonly streams = new StreamRegistry();
  readonly puller: ModelPuller;
  readonly remotes: RemoteModels;
  private readonly engine: LazyEngine;
  private readonly decodeTimeoutMs: number;

  constructor(
    private readonly core: CapabilityHost,
    private readonly admission: InferenceAdmission,
    /** Builds the context of `context_query` (docs/protocol.md#memory-build_context). */
    private readonly memory: Pick<MemoryService, 'buildContext'>,
    private readonly sessions: SessionDirectory,
    injected?: InferenceEngine,
    options: InferenceOptions = {},
  ) {
    this.decodeTimeoutMs = options.decodeTimeoutMs ?? DEFAULT_DECODE_TIMEOUT_S * 1000;
    this.catalogue = new ModelCatalogue(options.modelsDir ?? (core.stateRoot === null ? null : join(core.stateRoot, 'models')), core.stateRoot);
    this.puller = new ModelPuller(this.catalogue, { ...DEFAULT_PULL_POLICY, ...options.pulls });
    this.remotes = new RemoteModels(core.stateRoot, options.remoteTimeoutMs ?? DEFAULT_REMOTE_TIMEOUT_S * 1000, () => this.catalogue.names());
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
    if (parsed.data.tools?.length)
      return Promise.reject(
        invalidParams("generate cannot call tools: they run through the client that registered them, so call 'infer' on its connection", { field: 'tools' }),
      );
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
      const remote = this.remotes.pick('chat', request.model);
      const ref = remote ?? (await this.catalogue.resolve('generation', request.model, () => this.remotes.names()));
      model = ref.name;
      permit = await this.admit(options, remote);
      const queuedMs = Date.now() - started;
      let firstTokenAt: number | null = null;
      const onTokens = () => (firstTokenAt ??= Date.now());
      const timeout = new AbortController();
      const outcome: GenerationOutcome = !permit
        ? { text: '', stopReason: 'abort', inputTokens: 0, outputTokens: 0 }
        : remote
          ? await this.decodeRemote(remote, request, options, onTokens)
          : await (
              await this.engine.getEngine()
            ).withGenerationModel(ref as ModelRef, (resident) => this.decode(resident, request, options, timeout, onTokens));
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
      const remote = this.remotes.pick('embedding', params.model);
      const ref = remote ?? (await this.catalogue.resolve('embedding', params.model, () => this.remotes.names()));
      model = ref.name;
      permit = await this.admit(options, remote);
      const queuedMs = Date.now() - started;
      const embeddings = remote
        ? await remote.embed(params.texts, options.signal)
        : await (await this.engine.getEngine()).embed(ref as ModelRef, params.texts, options.signal);
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

  /** `models.list`: local files and remote models, each role held by one of them. */
  listModels(check = true): Promise<ModelsListResult> {
    return listModels(this.catalogue, this.remotes, check);
  }

  /** The model meeting summaries use: a remote one chosen by setting or role, else the catalogue's choice. */
  async summaryModel(): Promise<SummaryChoice & { context_length: number | null }> {
    const remote = this.remotes.choose('summary');
    if (remote) return { model: remote.model.name, reason: remote.why, context_length: remote.model.config.context_length };
    return this.catalogue.summaryModel();
  }

  /** `admission.status`: the local gate and each remote model's. */
  admissionStatus(): AdmissionStatus {
    return this.admission.status(this.remotes.admissionStatus());
  }

  /** `daemon.status` `inference`: the engine's state, then the generation model's. */
  status(): { state: EngineState; model: string | null } {
    const engine = this.engine.current;
    if (!engine) return { state: this.engine.state, model: null };
    const generation = engine.generationStatus();
    return { state: generation.loading ? 'loading' : generation.failed ? 'failed' : 'ready', model: generation.model };
  }

  /** A permit of the local gate or the remote model's own, or `null` when the call was cancelled while it queued. */
  private async admit(options: CallOptions, remote: RemoteModel | null): Promise<Permit | null> {
    try {
      return await (remote?.gate ?? this.admission).acquire(anySignal(options.signal, options.cancel));
    } catch (error) {
      if (options.cancel?.aborted && !options.signal?.aborted) return null;
      throw error;
    }
  }

  private async decode(
    resident: GenerationModel,
    request: ParsedRequest,
    options: CallOptions,
    timeout: AbortController,
    onTokens: () => void,
  ): Promise<GenerationOutcome> {
    options.signal?.throwIfAborted();
    const system = await this.systemPrompt(request, options.session, resident.contextWindow);
    const deadline = new DecodeDeadline(this.decodeTimeoutMs, () => timeout.abort(new Error('local decode timeout')));
    try {
      return await resident.generate(
        { ...generationInput(request, system), tools: options.tools && deadline.excluding(options.tools) },
        { signal: anySignal(options.signal, options.cancel, timeout.signal), onText: options.onText, onTokens },
      );
    } finally {
      deadline.clear();
    }
  }

  /** The same input a local model gets, tools passed through; the remote model's own stall timeout replaces the local decode timeout. */
  private async decodeRemote(remote: RemoteModel, request: ParsedRequest, options: CallOptions, onTokens: () => void): Promise<GenerationOutcome> {
    options.signal?.throwIfAborted();
    const system = await this.systemPrompt(request, options.session, remote.config.context_length);
    return remote.generate(
      { ...generationInput(request, system), tools: options.tools },
      { signal: anySignal(options.signal, options.cancel), onText: options.onText, onTokens },
    );
  }

  /** `context_query` (docs/protocol.md#infer): the caller's memory context goes ahead of its system prompt. */
  private async systemPrompt(request: ParsedRequest, session: ClientSession | null, contextWindow: number): Promise<string | undefined> {
    if (request.context_query === undefined || session === null) return request.system;
    const context = this.memory.buildContext(session, request.context_query, contextWindow);
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
      rpcError = internalError(
        `${options.method} failed in the inference engine: ${String((error as Error)?.message ?? error).slice(0, 200)}; see the daemon log`,
      );
    }
    this.core.journal.append('inference_failed', options.session?.id ?? null, { method: options.method, model, error_kind: errorKind(rpcError) });
    return rpcError;
  }
}

function generationInput(request: ParsedRequest, system: string | undefined): GenerationInput {
  return {
    prompt: request.prompt,
    messages: request.messages,
    system,
    maxTokens: request.max_tokens ?? DEFAULT_MAX_TOKENS,
    temperature: request.temperature ?? DEFAULT_TEMPERATURE,
    topP: request.top_p,
    seed: request.seed,
    stop: request.stop,
    responseFormat: request.response_format,
  };
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
