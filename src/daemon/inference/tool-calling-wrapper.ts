import type {
  ChatHistoryItem,
  ChatModelFunctions,
  ChatWrapper,
  ChatWrapperGenerateContextStateOptions,
  ChatWrapperGeneratedContextState,
} from 'node-llama-cpp';
import type { LlamaModule } from './llama.js';

/**
 * The model's own chat wrapper (its template's, or node-llama-cpp's guess for a model
 * without one, `||call: name({…})` syntax included), changed in two ways for one `infer`
 * call with tools:
 * - the call's tools are documented in every turn, also in turns that may not call (after
 *   `max_tool_rounds`, or with `tool_choice: "none"`), so the prompt never changes under the
 *   evaluated context and each turn reuses it;
 * - with `force`, a turn that has not called yet starts inside a call: the context ends
 *   with the call prefix and node-llama-cpp's "initially engaged" function mode generates
 *   a function name, then its parameters, each under a grammar. This is how
 *   `tool_choice: "required"` and `{ name }` force a call on any model.
 */
export function toolCallingWrapper(llama: LlamaModule, inner: ChatWrapper, documented: ChatModelFunctions, force: boolean): ChatWrapper {
  // node-llama-cpp is imported lazily (~400 ms), so the subclass is made from the loaded module.
  return new (class extends llama.ChatWrapper {
    override readonly wrapperName = inner.wrapperName;
    override readonly settings = inner.settings;

    override generateContextState(options: ChatWrapperGenerateContextStateOptions): ChatWrapperGeneratedContextState {
      const state = inner.generateContextState({ ...options, availableFunctions: documented });
      if (!force || options.availableFunctions === undefined || hasCalled(options.chatHistory)) return state;
      return {
        contextText: llama.LlamaText([state.contextText, inner.settings.functions.call.prefix]),
        stopGenerationTriggers: state.stopGenerationTriggers,
        ignoreStartText: state.ignoreStartText,
        functionCall: { initiallyEngaged: true, disengageInitiallyEngaged: [] },
      };
    }

    override generateFunctionCallsAndResults(...args: Parameters<ChatWrapper['generateFunctionCallsAndResults']>) {
      return inner.generateFunctionCallsAndResults(...args);
    }

    override generateFunctionCall(...args: Parameters<ChatWrapper['generateFunctionCall']>) {
      return inner.generateFunctionCall(...args);
    }

    override generateFunctionCallResult(...args: Parameters<ChatWrapper['generateFunctionCallResult']>) {
      return inner.generateFunctionCallResult(...args);
    }

    override generateModelResponseText(...args: Parameters<ChatWrapper['generateModelResponseText']>) {
      return inner.generateModelResponseText(...args);
    }

    override generateInitialChatHistory(...args: Parameters<ChatWrapper['generateInitialChatHistory']>) {
      return inner.generateInitialChatHistory(...args);
    }
  })();
}

/** Whether the response being generated already holds a call: forcing applies to a turn's first call only. */
function hasCalled(history: readonly ChatHistoryItem[]): boolean {
  const last = history.at(-1);
  return last?.type === 'model' && last.response.some((item) => typeof item === 'object' && item.type === 'functionCall');
}
