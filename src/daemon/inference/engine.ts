import { basename } from 'node:path';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { RpcError } from '../../protocol/errors.js';
import { log } from '../log.js';
import { EmbeddingModel, type Embeddings } from './embedding-model.js';
import { GenerationModel } from './generation-model.js';
import { sharedLlama, threadBudget, unavailableModel, type LlamaErrorLog, type LlamaModule } from './llama.js';
import { ModelSlot } from './model-slot.js';

export interface InferenceEngineOptions {
  /** Threads shared by all contexts; defaults to `threadBudget` for this host. */
  threads?: number;
  /** Sequences per generation context, i.e. how many calls decode in one batch; the daemon passes its admission permits. Default 1. */
  parallelSequences?: number;
}

/** A model file the catalogue resolved; the engine never sees user-supplied paths. */
export interface ModelRef {
  name: string;
  path: string;
}

/**
 * The node-llama-cpp engine (docs/architecture.md#inference-local-and-remote-models): one `Llama` instance on the CPU (or a
 * GPU when one is usable), at most one resident generation model and one resident
 * embedding model. Embedders build one with `InferenceEngine.create()` and pass it to
 * `ServerState.withConfig({ inference })`.
 */
export class InferenceEngine {
  private readonly generation = new ModelSlot<GenerationModel>();
  private readonly embedding = new ModelSlot<EmbeddingModel>();

  private constructor(
    private readonly llamaModule: LlamaModule,
    private readonly llama: Llama,
    private readonly llamaErrors: LlamaErrorLog,
    private readonly parallelSequences: number,
  ) {}

  static async create(options: InferenceEngineOptions = {}): Promise<InferenceEngine> {
    const { llamaModule, llama, errors } = await sharedLlama();
    llama.maxThreads = options.threads ?? threadBudget(llama.cpuMathCores);
    log.info('inference engine ready', { gpu: llama.gpu || 'none', threads: llama.maxThreads });
    return new InferenceEngine(llamaModule, llama, errors, Math.max(1, options.parallelSequences ?? 1));
  }

  get threads(): number {
    return this.llama.maxThreads;
  }

  /** Runs `use` with `ref` loaded as the generation model; another resident model is unloaded once its calls finish. */
  withGenerationModel<R>(ref: ModelRef, use: (model: GenerationModel) => Promise<R>): Promise<R> {
    return this.generation.with(ref.path, async () => new GenerationModel(this.llamaModule, ref.name, await this.loadModel(ref), this.parallelSequences), use);
  }

  embed(ref: ModelRef, texts: readonly string[], signal?: AbortSignal): Promise<Embeddings & { dimensions: number }> {
    return this.embedding.with(
      ref.path,
      async () => {
        const model = await this.loadModel(ref);
        try {
          return await EmbeddingModel.create(ref.name, model);
        } catch (error) {
          throw error instanceof RpcError ? error : unavailableModel(ref.name, ref.path, (error as Error).message);
        }
      },
      async (model) => ({ ...(await model.embed(texts, signal)), dimensions: model.dimensions }),
    );
  }

  /** The resident (or loading) generation model and whether its latest load failed. */
  generationStatus(): { model: string | null; loading: boolean; failed: boolean } {
    const { key, loading, failed } = this.generation.status();
    return { model: key === null ? null : basename(key, '.gguf'), loading, failed };
  }

  /** Unloads both models with their contexts; the process-wide llama.cpp backend stays for the next engine (see `sharedLlama`). */
  async dispose(): Promise<void> {
    await Promise.all([this.generation.dispose(), this.embedding.dispose()]);
  }

  private async loadModel(ref: ModelRef): Promise<LlamaModel> {
    this.llamaErrors.clear();
    try {
      const model = await this.llama.loadModel({ modelPath: ref.path });
      log.info('model loaded', { model: ref.name, file: ref.path });
      return model;
    } catch (error) {
      throw unavailableModel(ref.name, ref.path, await this.llamaErrors.explain(error as Error));
    }
  }
}
