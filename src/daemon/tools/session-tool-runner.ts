import { RpcError } from '../../protocol/errors.js';
import type { ToolCall, ToolCallError, ToolCallErrorKind, ToolChoice } from '../../protocol/tools.js';
import { paramsPreview, withoutSecrets } from '../host/params-preview.js';
import { randomHex } from '../ids.js';
import type { ToolCallObserver, ToolCallOutcome, ToolRunner, ToolSpec } from '../inference/tool-runner.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { JournalWriter } from '../state/capability.js';
import { executeTool, ToolCallFailure } from './tool-execution.js';
import type { RegisteredTool } from './tool-table.js';

/** What runs a high-risk call past a human: the host's approval gate (docs/protocol.md#approval-gate). */
export interface ToolApprovals {
  readonly enabled: boolean;
  /** Whole seconds before an approval expires, for the approver's description. */
  readonly seconds: number;
  decide(request: {
    subject: string;
    action: string;
    description: string;
    details: Record<string, unknown>;
    journaled_details: Record<string, unknown>;
    sessionId: string;
    signal: AbortSignal;
  }): Promise<void>;
}

export interface ToolRunnerDeps {
  journal: JournalWriter;
  approvals: ToolApprovals;
  /** The registration as it is now (a tool unregistered mid-call is no longer run). */
  find(sessionId: string, name: string): RegisteredTool | undefined;
  defaultTimeoutMs: number;
}

/** Beyond this a result would crowd the model's context out; the model is told instead. */
const MAX_RESULT_CHARS = 64 * 1024;
/** An approver sees parameters whole up to this size, else a cut preview. */
const MAX_APPROVAL_PARAMETERS_CHARS = 4096;
const NEVER = new AbortController().signal;

/** The tools one `infer` call may use, all registered by its own session, which also runs them. */
export class SessionToolRunner implements ToolRunner {
  readonly calls: ToolCall[] = [];

  constructor(
    private readonly deps: ToolRunnerDeps,
    private readonly session: ClientSession,
    readonly tools: readonly ToolSpec[],
    readonly choice: ToolChoice,
    readonly maxRounds: number,
    private readonly observer?: ToolCallObserver,
  ) {}

  async call(tool: string, parameters: Record<string, unknown>, signal: AbortSignal = NEVER): Promise<ToolCallOutcome> {
    // Stopped between turns: the call never starts, so there is nothing to record, approve or cancel.
    signal.throwIfAborted();
    const id = `call_${randomHex(6)}`;
    const started = Date.now();
    this.observer?.started({ id, tool, parameters });
    try {
      const registered = this.deps.find(this.session.id, tool);
      if (!registered) throw new ToolCallFailure('not_registered', `tool '${tool}' is no longer registered by this session, so it did not run`);
      if (registered.risk === 'high' && this.deps.approvals.enabled) await this.approve(id, tool, parameters, signal);
      const timeoutMs = registered.timeoutMs ?? this.deps.defaultTimeoutMs;
      const result = await executeTool(this.session, { id, tool, parameters, timeoutMs }, signal);
      const size = JSON.stringify(result ?? null).length;
      if (size > MAX_RESULT_CHARS)
        throw new ToolCallFailure(
          'result_too_large',
          `tool '${tool}' returned ${size} characters of JSON; at most ${MAX_RESULT_CHARS} reach the model, so return less`,
        );
      this.finish({ id, tool, parameters, duration_ms: Date.now() - started, result: result ?? null });
      return { result: result ?? null };
    } catch (error) {
      const failure = asCallError(error, tool, signal);
      this.finish({ id, tool, parameters, duration_ms: Date.now() - started, error: failure });
      if (signal.aborted) throw signal.reason;
      return { error: failure.message };
    }
  }

  refuse(tool: string, parameters: Record<string, unknown>, message: string): ToolCallOutcome {
    const id = `call_${randomHex(6)}`;
    this.observer?.started({ id, tool, parameters });
    this.finish({ id, tool, parameters, duration_ms: 0, error: { kind: 'invalid_call', message } });
    return { error: message };
  }

  /** A host approval naming the tool, its parameters (secrets removed) in the details; never journaled with them. */
  private approve(id: string, tool: string, parameters: Record<string, unknown>, signal: AbortSignal): Promise<void> {
    const { preview, truncated } = paramsPreview(parameters);
    const shown =
      JSON.stringify(withoutSecrets(parameters)).length <= MAX_APPROVAL_PARAMETERS_CHARS
        ? { parameters: withoutSecrets(parameters) }
        : { parameters_preview: preview, parameters_truncated: truncated };
    const context = { tool, call_id: id, session_id: this.session.id };
    return this.deps.approvals.decide({
      subject: `tool '${tool}'`,
      action: `tool:${tool}`,
      description: `session ${this.session.id}'s model wants to run the high-risk tool '${tool}'; it runs only if approved within ${this.deps.approvals.seconds}s`,
      details: { ...context, ...shown },
      journaled_details: context,
      sessionId: this.session.id,
      signal,
    });
  }

  /** Records the call, then journals and logs its name, duration and outcome (never its parameters or result). */
  private finish(call: ToolCall): void {
    this.calls.push(call);
    const outcome = 'error' in call ? call.error.kind : 'ok';
    const entry = { call_id: call.id, tool: call.tool, duration_ms: call.duration_ms, outcome };
    this.deps.journal.append('tool_call', this.session.id, entry);
    log.info('tool call finished', { session: this.session.id, ...entry });
    this.observer?.finished(call);
  }
}

function asCallError(error: unknown, tool: string, signal: AbortSignal): ToolCallError {
  if (signal.aborted) return { kind: 'cancelled', message: `tool '${tool}' was cancelled because the request that called it stopped` };
  if (error instanceof ToolCallFailure) return { kind: error.kind, message: error.message };
  // The approval gate's refusals: -32003 with `approval_denied`, `approval_expired` or `approval_cancelled`.
  if (error instanceof RpcError && typeof error.data?.kind === 'string' && error.data.kind.startsWith('approval_')) {
    return { kind: error.data.kind as ToolCallErrorKind, message: error.message };
  }
  log.failure('error', 'tool call failed unexpectedly', error, { tool });
  return { kind: 'tool_error', message: `tool '${tool}' could not run (${String((error as Error)?.message ?? error).slice(0, 200)}); see the daemon log` };
}
