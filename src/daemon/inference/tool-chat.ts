import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  GbnfJsonSchema,
  LlamaChatResponseFunctionCall,
  LlamaContextSequence,
  LlamaCompletionGenerationOptions,
} from 'node-llama-cpp';
import type { ToolSchema } from '../../protocol/tools.js';
import type { LlamaModule } from './llama.js';
import { toolCallingWrapper } from './tool-calling-wrapper.js';
import type { ToolCallOutcome, ToolRunner, ToolSpec } from './tool-runner.js';

/** The sampling options every turn shares (a format grammar never comes with tools). */
export type ToolChatSettings = Pick<
  LlamaCompletionGenerationOptions,
  'maxTokens' | 'temperature' | 'topP' | 'seed' | 'customStopTriggers' | 'signal' | 'stopOnAbortSignal' | 'onTextChunk' | 'onToken'
>;

export interface ToolChatResponse {
  /** The text of every turn, as streamed. */
  response: string;
  /** node-llama-cpp's stop reason of the last turn (`maxTokens` when the budget ran out between turns). */
  metadata: { stopReason: string };
}

/**
 * One chat turn after another, like node-llama-cpp's `LlamaChatSession.prompt` with
 * functions, but with the calls run by `runner` (through the owning client) and the
 * choice rules of `tool_choice`: a turn ends at a call, the call runs, its result joins the
 * history, and the next turn continues, until a turn ends without a call. `max_tokens`
 * bounds the output of all turns together.
 */
export async function chatWithTools(
  llama: LlamaModule,
  sequence: LlamaContextSequence,
  modelWrapper: ChatWrapper,
  initialHistory: ChatHistoryItem[],
  settings: ToolChatSettings,
  runner: ToolRunner,
): Promise<ToolChatResponse> {
  const documented = chatFunctions(runner.tools);
  const forced = runner.choice === 'required' || typeof runner.choice === 'object';
  const chat = new llama.LlamaChat({
    contextSequence: sequence,
    chatWrapper: toolCallingWrapper(llama, modelWrapper, documented, forced),
    autoDisposeSequence: false,
  });
  const { signal, onTextChunk } = settings;
  let history = initialHistory;
  let contextWindow: ChatHistoryItem[] | undefined;
  let budget = settings.maxTokens ?? Infinity;
  let answer = '';
  try {
    for (let round = 0; ; round++) {
      const outputBefore = sequence.tokenMeter.usedOutputTokens;
      let streamed = '';
      const turn = await chat.generateResponse(history, {
        ...settings,
        maxTokens: budget,
        // node-llama-cpp reports an empty chunk when a turn goes straight into a call; it is no event.
        onTextChunk: onTextChunk && ((chunk: string) => chunk && ((streamed += chunk), onTextChunk(chunk))),
        functions: callable(runner, documented, round),
        lastEvaluationContextWindow: { history: contextWindow, minimumOverlapPercentageToPreventContextShift: 0.5 },
      });
      // Text held back while it might have become a stop trigger arrives only in the response.
      const said = turn.response.startsWith(streamed) ? turn.response : streamed;
      if (onTextChunk && said.length > streamed.length) onTextChunk(said.slice(streamed.length));
      answer += said;
      budget -= sequence.tokenMeter.usedOutputTokens - outputBefore;
      if (!turn.functionCalls?.length) return { response: answer, metadata: turn.metadata };

      history = turn.lastEvaluation.cleanHistory;
      contextWindow = turn.lastEvaluation.contextWindow;
      for (const call of turn.functionCalls) {
        let outcome: ToolCallOutcome;
        try {
          outcome = await runner.call(call.functionName, asParameters(call.params), signal);
        } catch (error) {
          if (signal?.aborted) return { response: answer, metadata: { stopReason: 'abort' } };
          throw error;
        }
        const seen = 'result' in outcome ? outcome.result : { error: outcome.error };
        history = withCallResult(history, call, seen, documented);
        contextWindow = withCallResult(contextWindow, call, seen, documented);
      }
      if (budget <= 0) return { response: answer, metadata: { stopReason: 'maxTokens' } };
    }
  } finally {
    chat.dispose({ disposeSequence: false });
  }
}

/** What the model may call this turn: nothing with `none` or past the last round; only the named tool in a turn `{ name }` forces. */
function callable(runner: ToolRunner, documented: ChatModelFunctions, round: number): ChatModelFunctions | undefined {
  if (runner.choice === 'none' || round >= runner.maxRounds) return undefined;
  if (round === 0 && typeof runner.choice === 'object') return { [runner.choice.name]: documented[runner.choice.name]! };
  return documented;
}

function chatFunctions(tools: readonly ToolSpec[]): ChatModelFunctions {
  return Object.fromEntries(tools.map((tool) => [tool.name, { description: tool.description, params: tool.parameters && grammarSchema(tool.parameters) }]));
}

/** The schema as node-llama-cpp's grammar reads it: `anyOf` becomes `oneOf` (for generation they constrain alike); keywords it ignores stay. */
export function grammarSchema(schema: ToolSchema): GbnfJsonSchema {
  const { anyOf, oneOf, properties, additionalProperties, items, prefixItems, $defs, ...rest } = schema;
  const alternatives = oneOf ?? anyOf;
  return {
    ...rest,
    ...(alternatives && { oneOf: alternatives.map(grammarSchema) }),
    ...(properties && { properties: mapValues(properties, grammarSchema) }),
    ...(additionalProperties !== undefined && {
      additionalProperties: typeof additionalProperties === 'boolean' ? additionalProperties : grammarSchema(additionalProperties),
    }),
    ...(items && { items: grammarSchema(items) }),
    ...(prefixItems && { prefixItems: prefixItems.map(grammarSchema) }),
    ...($defs && { $defs: mapValues($defs, grammarSchema) }),
  } as GbnfJsonSchema;
}

const mapValues = <T, U>(record: Record<string, T>, map: (value: T) => U): Record<string, U> =>
  Object.fromEntries(Object.entries(record).map(([key, value]) => [key, map(value)]));

function asParameters(params: unknown): Record<string, unknown> {
  return typeof params === 'object' && params !== null && !Array.isArray(params) ? (params as Record<string, unknown>) : {};
}

/** The call and what it returned appended to the model's turn, as node-llama-cpp's chat session records a function's result. */
function withCallResult<H extends ChatHistoryItem[] | undefined>(
  history: H,
  call: LlamaChatResponseFunctionCall<ChatModelFunctions>,
  result: unknown,
  documented: ChatModelFunctions,
): H {
  if (history === undefined) return history;
  const last = history.at(-1);
  const turn = last?.type === 'model' ? last : { type: 'model' as const, response: [] };
  const item = {
    type: 'functionCall' as const,
    name: call.functionName,
    description: documented[call.functionName]?.description,
    params: call.params,
    result,
    rawCall: call.raw,
  };
  const updated = { ...turn, response: [...turn.response, item] };
  return (last?.type === 'model' ? [...history.slice(0, -1), updated] : [...history, updated]) as H;
}
