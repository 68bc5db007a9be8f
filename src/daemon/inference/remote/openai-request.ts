import type { ChatCompletionCreateParamsStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { GenerationInput } from '../generation-model.js';

/**
 * The one place a generation becomes an OpenAI chat-completions request. Always streamed,
 * for `infer` too: the stall timeout then means "no data for N s" rather than a bound on the
 * whole generation, a cancel stops the server at the next token, and the first token is timed.
 * Tool calling (issue 23) plugs in here: `tools` into the request, `tool_calls` deltas out.
 */
export function chatCompletionRequest(remoteModel: string, input: GenerationInput): ChatCompletionCreateParamsStreaming {
  const messages: ChatCompletionMessageParam[] = input.system ? [{ role: 'system', content: input.system }] : [];
  for (const message of input.messages ?? [{ role: 'user' as const, content: input.prompt! }]) messages.push({ role: message.role, content: message.content });
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
  };
}

function responseFormat(format: NonNullable<GenerationInput['responseFormat']>): ChatCompletionCreateParamsStreaming['response_format'] {
  if (format.type === 'json_object') return { type: 'json_object' };
  return { type: 'json_schema', json_schema: { name: format.name ?? 'response', schema: format.schema, ...(format.strict !== undefined && { strict: format.strict }) } };
}
