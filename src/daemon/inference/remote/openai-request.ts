import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
  ChatCompletionToolMessageParam,
} from 'openai/resources/chat/completions';
import type { ToolChoice } from '../../../protocol/tools.js';
import type { GenerationInput } from '../generation-model.js';
import type { ToolCallOutcome, ToolSpec } from '../tool-runner.js';
import type { StreamedToolCall } from './tool-call-deltas.js';

/** What one turn of a call with tools adds to the request. */
export interface ToolTurn {
  /** The tools documented to the model; `null` leaves `tools` out (a server that called despite `tool_choice: "none"`). */
  tools: readonly ToolSpec[] | null;
  choice: ChatCompletionToolChoiceOption;
  /** The assistant calls and tool results of the turns so far, after the caller's messages. */
  conversation: readonly ChatCompletionMessageParam[];
}

/**
 * The one place a generation becomes an OpenAI chat-completions request. Always streamed,
 * for `infer` too: the stall timeout then means "no data for N s" rather than a bound on the
 * whole generation, a cancel stops the server at the next token, and the first token is timed.
 * With tools, each turn is one request: `tools` and `tool_choice` in, `tool_calls` deltas out
 * (put together in tool-call-deltas.ts; the turns are run by remote-tool-chat.ts).
 */
export function chatCompletionRequest(remoteModel: string, input: GenerationInput, turn?: ToolTurn): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = input.system ? [{ role: 'system', content: input.system }] : [];
  for (const message of input.messages ?? [{ role: 'user' as const, content: input.prompt! }]) messages.push({ role: message.role, content: message.content });
  if (turn) messages.push(...turn.conversation);
  return {
    model: remoteModel,
    messages,
    stream: true,
    stream_options: { include_usage: true },
    max_tokens: input.maxTokens,
    temperature: input.temperature,
    ...(input.topP !== undefined && { top_p: input.topP }),
    ...(input.seed !== undefined && { seed: input.seed }),
    ...(input.stop?.length && { stop: input.stop }),
    ...(input.responseFormat && { response_format: responseFormat(input.responseFormat) }),
    ...(turn?.tools && { tools: turn.tools.map(openAiTool), tool_choice: turn.choice }),
  };
}

/**
 * `tool_choice` for a turn, as the local engine decides it: `required` and `{ name }` force
 * the first turn only, then `auto` (otherwise `required` would call until the rounds run
 * out); a turn that may not call (choice `none`, or `max_tool_rounds` done) keeps the tools
 * documented with `none`, so the prompt stays the same and the model answers in text.
 */
export function turnToolChoice(choice: ToolChoice, round: number, mayCall: boolean): ChatCompletionToolChoiceOption {
  if (!mayCall) return 'none';
  if (round > 0) return 'auto';
  return typeof choice === 'object' ? { type: 'function', function: { name: choice.name } } : choice;
}

/** The model's turn as the conversation records it: its text, then its calls under the server's ids. */
export function assistantToolCalls(text: string, calls: readonly StreamedToolCall[]): ChatCompletionAssistantMessageParam {
  return {
    role: 'assistant',
    content: text || null,
    tool_calls: calls.map(({ id, name, arguments: args }) => ({ id, type: 'function', function: { name, arguments: args } })),
  };
}

/** What a call gave, answering the call's id: the result as JSON, or `{ "error": … }`, as the local engine feeds it back. */
export function toolResultMessage(callId: string, outcome: ToolCallOutcome): ChatCompletionToolMessageParam {
  return { role: 'tool', tool_call_id: callId, content: JSON.stringify('result' in outcome ? (outcome.result ?? null) : { error: outcome.error }) };
}

function openAiTool(tool: ToolSpec): ChatCompletionTool {
  return {
    type: 'function',
    function: {
      name: tool.name,
      ...(tool.description !== undefined && { description: tool.description }),
      // OpenAI reads a function without `parameters` as one that takes none.
      ...(tool.parameters !== undefined && { parameters: tool.parameters as Record<string, unknown> }),
    },
  };
}

function responseFormat(format: NonNullable<GenerationInput['responseFormat']>): ChatCompletionCreateParamsStreaming['response_format'] {
  if (format.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    json_schema: { name: format.name ?? 'response', schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) },
  };
}
