import type { ToolCall, ToolChoice, ToolSchema } from '../../protocol/tools.js';
import type { ClientSession } from '../sessions/client-session.js';

/** A tool as the model sees it: what an engine documents and constrains the call to. */
export interface ToolSpec {
  name: string;
  description?: string;
  /** A JSON Schema of an object; absent for a tool without parameters. */
  parameters?: ToolSchema;
}

/** What the model reads back after a call: the client's result, or why there is none. */
export type ToolCallOutcome = { result: unknown } | { error: string };

/**
 * The tools of one `infer` call, as an engine needs them: which tools the model may call,
 * how it must choose, how many turns may call, and a way to run a call. Engines stay
 * ignorant of sessions, approvals and the wire: the local engine turns the specs into
 * node-llama-cpp functions; a remote OpenAI-compatible engine would send them as `tools`
 * and feed its `tool_calls` through `call` the same way.
 */
export interface ToolRunner {
  readonly tools: readonly ToolSpec[];
  readonly choice: ToolChoice;
  /** Model turns that may call tools; the turn after the last answers in text. */
  readonly maxRounds: number;
  /** Every call so far, finished or not, for the result's `tool_calls`. */
  readonly calls: readonly ToolCall[];
  /**
   * Runs one call the model made. A failing tool is an outcome the model reads, not an
   * exception; it rejects only when `signal` aborted, and then the whole generation stops.
   */
  call(tool: string, parameters: Record<string, unknown>, signal?: AbortSignal): Promise<ToolCallOutcome>;
}

/** What `infer` passes to tools: the request's tool fields. */
export interface ToolRequest {
  tools?: string[];
  tool_choice?: ToolChoice;
  max_tool_rounds?: number;
}

/** Stream events as a call starts and ends. */
export interface ToolCallObserver {
  started(call: { id: string; tool: string; parameters: Record<string, unknown> }): void;
  finished(call: ToolCall): void;
}

/** Builds the runner of one call from the request's names; supplied by the tools capability. */
export interface ToolRunnerFactory {
  /** `undefined` when the request names no tools; `-32602` for a name the session has not registered. */
  runnerFor(request: ToolRequest, session: ClientSession, observer?: ToolCallObserver): ToolRunner | undefined;
}
