import type { LlamaEmbeddingContext, LlamaModel } from 'node-llama-cpp';
import { invalidParams } from '../../protocol/errors.js';
import { MAX_CONTEXT_TOKENS } from './generation-model.js';
import type { Resident } from './model-slot.js';

export interface Embeddings {
  vectors: number[][];
  inputTokens: number;
}

/** A resident embedding model with its one embedding context (node-llama-cpp serialises calls on it). */
export class EmbeddingModel implements Resident {
  private constructor(
    readonly name: string,
    private readonly model: LlamaModel,
    private readonly context: LlamaEmbeddingContext,
    private readonly maxInputTokens: number,
  ) {}

  /** Refuses models that cannot embed (encoder-decoder) before any context is allocated; disposes the model then. */
  static async create(name: string, model: LlamaModel): Promise<EmbeddingModel> {
    if (model.fileInsights.hasEncoder && model.fileInsights.hasDecoder) {
      await model.dispose();
      throw invalidParams(`model '${name}' cannot produce embeddings (encoder-decoder models have no embedding output); pass another model`, {
        field: 'model',
      });
    }
    const maxInputTokens = Math.min(model.trainContextSize, MAX_CONTEXT_TOKENS);
    try {
      return new EmbeddingModel(name, model, await model.createEmbeddingContext({ contextSize: maxInputTokens }), maxInputTokens);
    } catch (error) {
      await model.dispose();
      throw error;
    }
  }

  get dimensions(): number {
    return this.model.embeddingVectorSize;
  }

  /** Vectors in input order; every text is checked against the context before any is embedded. */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Embeddings> {
    const lengths = texts.map((text) => this.context.calculateInputLength(text));
    lengths.forEach((length, index) => {
      if (length >= this.maxInputTokens) {
        throw invalidParams(
          `texts[${index}] is ${length} tokens but model '${this.name}' embeds at most ${this.maxInputTokens - 1}; split it into shorter texts`,
          { field: `texts.${index}` },
        );
      }
    });
    const vectors: number[][] = [];
    for (const text of texts) {
      signal?.throwIfAborted();
      vectors.push([...(await this.context.getEmbeddingFor(text)).vector]);
    }
    return { vectors, inputTokens: lengths.reduce((sum, length) => sum + length, 0) };
  }

  async dispose(): Promise<void> {
    await this.context.dispose();
    await this.model.dispose();
  }
}
