import type {
  ChatHistoryItem,
  ChatWrapper,
  LlamaCompletionGenerationOptions,
  LlamaContext,
  LlamaContextSequence,
  LlamaGrammar,
  LlamaModel,
} from 'node-llama-cpp';
import type { ChatMessage, GenerateRequest } from '../../protocol/inference.js';
import { invalidParams } from '../../protocol/errors.js';
import { unavailableModel, type LlamaModule } from './llama.js';
import type { Resident } from './model-slot.js';
import { chatWithTools } from './tool-chat.js';
import type { ToolRunner } from './tool-runner.js';

/** Per-sequence context cap: node-llama-cpp's "auto" would otherwise size KV caches up to a model's full (often 128K) training context. */
export const MAX_CONTEXT_TOKENS = 8192;
/**
 * Per-sequence context floor: below it a chat template with tool documentation (~600 tokens
 * on a 512-token vocabulary) and a few turns do not fit. Only toy models are trained on
 * less (stories260K: 128); they get the floor anyway, and write worse past their training
 * length, as they would after a context shift.
 */
export const MIN_CONTEXT_TOKENS = 2048;

/** node-llama-cpp's `contextSize` for a model trained on `trainContextSize` tokens: "auto" up to the cap, never below the floor. */
export const contextSizeFor = (trainContextSize: number): number | { max: number } =>
  trainContextSize < MIN_CONTEXT_TOKENS ? MIN_CONTEXT_TOKENS : { max: MAX_CONTEXT_TOKENS };

export interface GenerationInput {
  prompt?: string;
  messages?: ChatMessage[];
  /** The system prompt, memory context already included. */
  system?: string;
  maxTokens: number;
  temperature: number;
  topP?: number;
  seed?: number;
  stop?: string[];
  responseFormat?: GenerateRequest['response_format'];
  /** The tools the model may call (never with `responseFormat`). */
  tools?: ToolRunner;
}

export interface GenerationOutcome {
  /** Everything generated, equal to the concatenation of the chunks passed to `onText` when given. */
  text: string;
  /** `abort`: the signal fired; `text` is what was generated until then. */
  stopReason: 'stop' | 'length' | 'abort';
  inputTokens: number;
  outputTokens: number;
}

/** The options text completion and chat share. */
type SamplingSettings = Pick<
  LlamaCompletionGenerationOptions,
  'maxTokens' | 'temperature' | 'topP' | 'seed' | 'customStopTriggers' | 'grammar' | 'signal' | 'stopOnAbortSignal' | 'onTextChunk' | 'onToken'
>;

export interface GenerationOptions {
  signal?: AbortSignal;
  /**
   * Streamed text. Only streaming callers pass it: node-llama-cpp detokenizes every chunk
   * against all the text so far, which cost ~20 % more CPU per token on stories260K (measured in-process against no callback).
   */
  onText?: (chunk: string) => void;
  /** Called as tokens arrive, without detokenizing them (e.g. to time the first token). */
  onTokens?: () => void;
}

/**
 * A resident generation model and its contexts. Each context holds `sequencesPerContext`
 * sequences (the admission permits), so concurrent calls decode in one batch; a further
 * context is only created if more calls than that run at once.
 */
export class GenerationModel implements Resident {
  private readonly contexts: LlamaContext[] = [];
  private acquiring: Promise<unknown> = Promise.resolve();
  private chatWrapper: ChatWrapper | null = null;

  constructor(
    private readonly llama: LlamaModule,
    readonly name: string,
    private readonly model: LlamaModel,
    private readonly sequencesPerContext: number,
  ) {}

  /** Tokens one call can see; what memory context is budgeted against. */
  get contextWindow(): number {
    return this.contexts[0]?.contextSize ?? Math.min(Math.max(this.model.trainContextSize, MIN_CONTEXT_TOKENS), MAX_CONTEXT_TOKENS);
  }

  /** Plain prompts go to a model without a chat template as a text completion (it would not understand a made-up template). */
  private get hasChatTemplate(): boolean {
    return typeof this.model.fileInfo.metadata.tokenizer?.chat_template === 'string';
  }

  async generate(input: GenerationInput, { signal, onText, onTokens }: GenerationOptions): Promise<GenerationOutcome> {
    const grammar = await this.grammarFor(input.responseFormat);
    const sequence = await this.acquireSequence();
    let text = '';
    const emit = (chunk: string) => {
      text += chunk;
      onText?.(chunk);
    };
    const settings: SamplingSettings = {
      maxTokens: input.maxTokens,
      temperature: input.temperature,
      topP: input.topP,
      seed: input.seed,
      customStopTriggers: input.stop,
      grammar,
      signal,
      stopOnAbortSignal: true,
      onTextChunk: onText && emit,
      onToken: onTokens,
    };
    const usage = () => ({ inputTokens: sequence.tokenMeter.usedInputTokens, outputTokens: sequence.tokenMeter.usedOutputTokens });
    try {
      const useChat = input.messages !== undefined || input.tools !== undefined || this.hasChatTemplate;
      const { response, metadata } = useChat ? await this.chat(sequence, input, settings) : await this.complete(sequence, input, settings);
      // Text held back while it might have become a stop trigger arrives only in the response.
      if (response.length > text.length && response.startsWith(text)) emit(response.slice(text.length));
      return { text, stopReason: toStopReason(metadata.stopReason), ...usage() };
    } catch (error) {
      if (signal?.aborted) return { text, stopReason: 'abort', ...usage() };
      throw error;
    } finally {
      await sequence.dispose();
    }
  }

  async dispose(): Promise<void> {
    for (const context of this.contexts) await context.dispose();
    await this.model.dispose();
  }

  private async complete(sequence: LlamaContextSequence, input: GenerationInput, settings: SamplingSettings) {
    const completion = new this.llama.LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
    try {
      const text = [input.system, input.prompt].filter(Boolean).join('\n\n');
      return await completion.generateCompletionWithMeta(text, settings);
    } finally {
      completion.dispose({ disposeSequence: false });
    }
  }

  private async chat(sequence: LlamaContextSequence, input: GenerationInput, settings: SamplingSettings) {
    this.chatWrapper ??= this.llama.resolveChatWrapper(this.model);
    if (input.tools) return chatWithTools(this.llama, sequence, this.chatWrapper, chatHistory(input), settings, input.tools);
    const chat = new this.llama.LlamaChat({ contextSequence: sequence, chatWrapper: this.chatWrapper, autoDisposeSequence: false });
    try {
      return await chat.generateResponse(chatHistory(input), settings);
    } finally {
      chat.dispose({ disposeSequence: false });
    }
  }

  private async grammarFor(format: GenerationInput['responseFormat']): Promise<LlamaGrammar | undefined> {
    if (!format) return undefined;
    const llama = this.model.llama;
    if (format.type === 'json_object') return llama.getGrammarFor('json');
    try {
      return await llama.createGrammarForJsonSchema(format.schema as never);
    } catch (error) {
      throw invalidParams(`response_format.schema cannot be turned into a grammar: ${(error as Error).message}; simplify the schema`, {
        field: 'response_format.schema',
      });
    }
  }

  /** Serialised, so concurrent callers never race to create one context each. */
  private acquireSequence(): Promise<LlamaContextSequence> {
    const next = this.acquiring.then(async () => {
      const free = this.contexts.find((context) => context.sequencesLeft > 0);
      if (free) return free.getSequence();
      let context: LlamaContext;
      try {
        context = await this.model.createContext({ sequences: this.sequencesPerContext, contextSize: contextSizeFor(this.model.trainContextSize) });
      } catch (error) {
        throw unavailableModel(this.name, this.model.filename ?? this.name, `no context could be created: ${(error as Error).message}`);
      }
      this.contexts.push(context);
      return context.getSequence();
    });
    this.acquiring = next.catch(() => undefined);
    return next;
  }
}

function chatHistory({ system, prompt, messages }: GenerationInput): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = system ? [{ type: 'system', text: system }] : [];
  for (const message of messages ?? [{ role: 'user' as const, content: prompt! }]) {
    if (message.role === 'assistant') history.push({ type: 'model', response: [message.content] });
    else history.push({ type: message.role, text: message.content });
  }
  // A trailing assistant message is continued; otherwise the model answers in a new turn.
  if (history.at(-1)?.type !== 'model') history.push({ type: 'model', response: [] });
  return history;
}

function toStopReason(reason: string): GenerationOutcome['stopReason'] {
  if (reason === 'maxTokens') return 'length';
  if (reason === 'abort') return 'abort';
  return 'stop';
}
