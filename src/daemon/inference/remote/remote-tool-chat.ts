import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { GenerationInput, GenerationOutcome } from '../generation-model.js';
import type { ToolCallOutcome, ToolRunner } from '../tool-runner.js';
import { assistantToolCalls, chatCompletionRequest, toolResultMessage, turnToolChoice } from './openai-request.js';
import { ToolCallCheck, type CheckedCall } from './tool-call-check.js';
import type { StreamedToolCall } from './tool-call-deltas.js';

/** What one streamed request gave: its text and usage, and the calls it ended with. */
export interface RemoteTurn extends GenerationOutcome {
  toolCalls: StreamedToolCall[];
}

/** Sends one request and reads its stream; `stopReason: 'abort'` when the signal fired. */
export type StreamTurn = (request: ChatCompletionCreateParamsStreaming) => Promise<RemoteTurn>;

/**
 * A call with tools on a remote model, turn by turn as the local engine's tool-chat.ts
 * does it: each turn is one request; a turn that ends in `tool_calls` has every call
 * checked (tool-call-check.ts), then run in the order the model gave them, one at a time,
 * through `runner` (approvals, time-outs, cancellation, journal, stream events), each
 * answered with a `tool` message; the next turn continues until one answers in text.
 * After `max_tool_rounds` turns with calls the next may not call (`tool_choice: "none"`).
 * `max_tokens` bounds the output of all turns together; text, usage and the stop reason
 * add up over the turns like the local engine's.
 */
export async function chatWithRemoteTools(
  remoteModel: string,
  input: GenerationInput,
  runner: ToolRunner,
  streamTurn: StreamTurn,
  signal?: AbortSignal,
): Promise<GenerationOutcome> {
  const check = new ToolCallCheck(runner.tools);
  const conversation: ChatCompletionMessageParam[] = [];
  const total: GenerationOutcome = { text: '', stopReason: 'stop', inputTokens: 0, outputTokens: 0 };
  let budget = input.maxTokens;
  // Set once a server called in a turn that allowed no call: it then gets no tools at all.
  let withheld = false;
  for (let round = 0; ; round++) {
    const mayCall = runner.choice !== 'none' && round < runner.maxRounds;
    const request = chatCompletionRequest(
      remoteModel,
      { ...input, maxTokens: budget },
      { tools: withheld ? null : runner.tools, choice: turnToolChoice(runner.choice, round, mayCall), conversation },
    );
    const turn = await streamTurn(request);
    total.text += turn.text;
    total.inputTokens += turn.inputTokens;
    total.outputTokens += turn.outputTokens;
    total.stopReason = turn.stopReason;
    if (turn.stopReason === 'abort' || turn.toolCalls.length === 0) return total;
    budget -= turn.outputTokens;

    const calls = turn.toolCalls.map((call) => ({ call, checked: mayCall ? check.check(call) : { ...check.check(call), refused: noCallNow(runner) } }));
    // Arguments as parsed (`{}` when they were not an object), so the server can always read its own turn back.
    conversation.push(
      assistantToolCalls(
        turn.text,
        calls.map(({ call, checked }) => ({ ...call, arguments: JSON.stringify(checked.parameters) })),
      ),
    );
    for (const { call, checked } of calls) {
      const outcome = await run(runner, checked, signal);
      if (outcome === null) return { ...total, stopReason: 'abort' };
      conversation.push(toolResultMessage(call.id, outcome));
    }
    if (!mayCall) {
      if (withheld) return total;
      withheld = true;
    }
    if (budget <= 0) return { ...total, stopReason: 'length' };
  }
}

/** The call's outcome, or `null` when the signal stopped it (the runner rejects only then). */
async function run(runner: ToolRunner, checked: CheckedCall, signal?: AbortSignal): Promise<ToolCallOutcome | null> {
  if (checked.refused !== undefined) return runner.refuse(checked.tool, checked.parameters, checked.refused);
  try {
    return await runner.call(checked.tool, checked.parameters, signal);
  } catch (error) {
    if (signal?.aborted) return null;
    throw error;
  }
}

function noCallNow(runner: ToolRunner): string {
  if (runner.choice === 'none') return "no tool may be called in this request (tool_choice 'none'), so it did not run; answer in text";
  return `the ${runner.maxRounds} turns that may call tools (max_tool_rounds) are used up, so it did not run; answer in text`;
}
