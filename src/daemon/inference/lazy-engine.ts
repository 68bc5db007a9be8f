import { unavailable } from '../../protocol/errors.js';
import type { InferenceEngine } from './engine.js';

export type EngineState = 'idle' | 'loading' | 'ready' | 'failed';

/**
 * The engine built on first use (upstream's `OnceLock`, docs/architecture.md#inference-local-and-remote-models): concurrent
 * first callers await the same start; a failed start is reported and not remembered, so
 * the next call tries again.
 */
export class LazyEngine {
  private engine: InferenceEngine | null;
  private starting: Promise<InferenceEngine> | null = null;
  private failed = false;
  private closed = false;

  constructor(
    private readonly create: () => Promise<InferenceEngine>,
    injected?: InferenceEngine,
  ) {
    this.engine = injected ?? null;
  }

  get state(): EngineState {
    if (this.engine) return 'ready';
    if (this.starting) return 'loading';
    return this.failed ? 'failed' : 'idle';
  }

  /** The running engine, if any, without starting one. */
  get current(): InferenceEngine | null {
    return this.engine;
  }

  getEngine(): Promise<InferenceEngine> {
    if (this.closed) return Promise.reject(unavailable('the inference engine is shut down because the daemon is stopping; retry after it restarts'));
    if (this.engine) return Promise.resolve(this.engine);
    this.starting ??= this.create()
      .then(
        (engine) => {
          this.failed = false;
          if (this.closed) {
            void engine.dispose();
            throw unavailable('the inference engine is shut down because the daemon is stopping; retry after it restarts');
          }
          this.engine = engine;
          return engine;
        },
        (error: Error) => {
          this.failed = true;
          throw unavailable(
            `the inference engine (node-llama-cpp) could not start: ${error.message}; check that its prebuilt binary works on this machine (npx node-llama-cpp inspect gpu)`,
          );
        },
      )
      .finally(() => {
        this.starting = null;
      });
    return this.starting;
  }

  async dispose(): Promise<void> {
    this.closed = true;
    const engine = this.engine;
    this.engine = null;
    await engine?.dispose();
  }
}
