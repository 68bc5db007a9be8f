import type { z } from 'zod';
import { RpcError, forbidden } from '../../protocol/errors.js';
import { generateRequestParams, inferenceContract, type InferStreamResult, type InferenceStreamEvent, type RemoteModelInfo } from '../../protocol/inference.js';
import { implement, type CallContext, type MethodTable } from '../rpc/method-table.js';
import type { CallOptions, LocalInference } from './local-inference.js';
import { StreamEvents } from './stream-events.js';
import type { ToolRunnerFactory } from './tool-runner.js';

/** `infer.progress` cadence (docs/protocol.md#infer): lets clients use an idle read timeout instead of an absolute one. */
const PROGRESS_INTERVAL_MS = 10_000;

/** `infer`, `infer_stream`, `inference.stream.cancel`, `embed`, `admission.status`, `models.*` (docs/protocol.md#namespace-inference, issue 24); `tools` runs the calls the model makes. */
export const inferenceMethods = (inference: LocalInference, tools: ToolRunnerFactory): MethodTable =>
  implement(inferenceContract, {
    infer: {
      handler: (params, ctx) => withProgress(ctx, () => inference.infer(params, { ...callOptions(ctx), tools: tools.runnerFor(params, ctx.session) })),
    },

    infer_stream: {
      requiresId: true,
      handler: (params, ctx) => withProgress(ctx, () => stream(inference, tools, params, ctx)),
    },

    'inference.stream.cancel': {
      handler: (params, { session }) => ({ cancelled: inference.streams.cancel(session, params.request_id) }),
    },

    embed: {
      handler: (params, ctx) => inference.embed(params, callOptions(ctx)),
    },

    'admission.status': {
      handler: (_params) => inference.admissionStatus(),
    },

    'models.list': {
      handler: (_params) => inference.listModels(),
    },

    'models.pull': {
      handler: (params, { session, signal }) => inference.puller.pull(params, session, signal),
    },

    'models.delete': {
      handler: async (params, { session }) => {
        if (!inference.remotes.has(params.name)) return inference.puller.delete(params, session);
        if (!session.hasHostRights)
          throw forbidden(`removing remote model '${params.name}' needs a host-role session (host_token); \`car models rm\` signs in with it`);
        await inference.remotes.remove(params.name);
        return { name: params.name, deleted: true as const };
      },
    },

    'models.add': {
      hostOnly: true,
      handler: async (params) => {
        await inference.remotes.add(params);
        return (await inference.listModels(false)).models.find((model): model is RemoteModelInfo => model.source === 'remote' && model.name === params.name)!;
      },
    },
  });

function callOptions(ctx: CallContext): CallOptions {
  return { method: ctx.method, session: ctx.session, signal: ctx.signal };
}

/** `inference.stream.event`s for the chunks, then usage and stop reason; the response itself ends the stream (docs/protocol.md#infer_stream). */
async function stream(
  inference: LocalInference,
  tools: ToolRunnerFactory,
  params: z.output<typeof generateRequestParams>,
  ctx: CallContext,
): Promise<InferStreamResult> {
  const requestId = ctx.requestId!;
  const events = new StreamEvents((event) => ctx.session.notify('inference.stream.event', { request_id: requestId, event }));
  const emit = (event: InferenceStreamEvent) => events.emit(event);
  const runner = tools.runnerFor(params, ctx.session, {
    started: (call) => emit({ type: 'tool_call', ...call }),
    finished: ({ parameters: _parameters, ...call }) => emit({ type: 'tool_result', ...call }),
  });
  const open = inference.streams.open(ctx.session, requestId);
  ctx.onCancel(() => inference.streams.cancel(ctx.session, requestId));
  try {
    const result = await inference.infer(params, { ...callOptions(ctx), cancel: open.signal, onText: (data) => events.text(data), tools: runner });
    emit({ type: 'usage', ...result.usage, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    emit({ type: 'stop_reason', data: result.stop_reason });
    return {
      text: result.text,
      tool_calls: result.tool_calls,
      usage: result.usage,
      stop_reason: result.stop_reason,
      trace_id: result.trace_id,
      model_used: result.model_used,
    };
  } catch (error) {
    if (error instanceof RpcError) emit({ type: 'error', message: error.message });
    throw error;
  } finally {
    events.flush();
    open.close();
  }
}

async function withProgress<T>(ctx: CallContext, work: () => Promise<T>): Promise<T> {
  const id = ctx.requestId;
  if (id === undefined) return work();
  const timer = setInterval(() => ctx.session.notify('infer.progress', { id }), PROGRESS_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
