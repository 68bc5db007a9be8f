import { availableParallelism } from 'node:os';
import type { Llama, LlamaLogLevel } from 'node-llama-cpp';
import { unavailable, type RpcError } from '../../protocol/errors.js';
import { log } from '../log.js';

export type LlamaModule = typeof import('node-llama-cpp');

let loading: Promise<LlamaModule> | null = null;

/** node-llama-cpp costs ~400 ms to import, so the daemon only pays it when inference or the model listing is used. */
export function loadLlamaModule(): Promise<LlamaModule> {
  loading ??= import('node-llama-cpp').catch((error: unknown) => {
    loading = null;
    throw error;
  });
  return loading;
}

export interface SharedLlama {
  llamaModule: LlamaModule;
  llama: Llama;
  errors: LlamaErrorLog;
}

let shared: Promise<SharedLlama> | null = null;

/**
 * The one llama.cpp backend of this process. The native addon is process-global: after a
 * `Llama` is disposed, a new one in the same process no longer receives llama.cpp's log
 * and can hang, so engines share one backend and only ever unload their models;
 * node-llama-cpp releases the backend when the process exits. A failed start is retried.
 */
export function sharedLlama(): Promise<SharedLlama> {
  shared ??= (async () => {
    const llamaModule = await loadLlamaModule();
    const errors = new LlamaErrorLog();
    // build: 'never' because a daemon must not start compiling llama.cpp from source on first use.
    const llama = await llamaModule.getLlama({ build: 'never', logLevel: llamaModule.LlamaLogLevel.warn, logger: errors.record });
    return { llamaModule, llama, errors };
  })().catch((error: unknown) => {
    shared = null;
    throw error;
  });
  return shared;
}

/**
 * How many threads all contexts share. ggml threads busy-wait for each other, so more
 * threads than free cores makes decoding collapse (4 threads on 2 cores: ~1 tok/s instead
 * of ~1,500). One logical CPU is left for the event loop that serves the sockets, and
 * llama.cpp's count of cores useful for math (physical performance cores) is the ceiling.
 * Concurrent generations share one batched context and node-llama-cpp splits this budget
 * across contexts, so the total never grows with the number of calls.
 */
export function threadBudget(mathCores: number, logicalCpus = availableParallelism()): number {
  return Math.max(1, Math.min(mathCores, logicalCpus - 1));
}

export function unavailableModel(name: string, file: string, cause: string): RpcError {
  return unavailable(`cannot load model '${name}' from ${file}: ${cause}; replace or remove the file, or pick another model (car models ls)`, {
    model: name,
    file,
  });
}

/**
 * llama.cpp reports why a load failed only in its log ("tensor … data is not within the
 * file bounds"), while the thrown error just says "Failed to load model"; this keeps the
 * latest error lines so the RPC error can name the cause. The lines come through the
 * addon's log queue and may arrive just after the rejection, so `explain` waits for them.
 */
/** The levels worth keeping; by value, as node-llama-cpp (and its enum) is imported for types only until inference is used. */
const FAILURE_LEVELS = new Set<`${LlamaLogLevel}`>(['error', 'fatal']);

export class LlamaErrorLog {
  private lines: string[] = [];
  private onLine: (() => void) | null = null;

  readonly record = (level: LlamaLogLevel, message: string): void => {
    const line = message.trim();
    if (!line) return;
    if (FAILURE_LEVELS.has(level)) {
      this.lines.push(line);
      if (this.lines.length > 5) this.lines.shift();
      log.warn('llama.cpp', { message: line });
      this.onLine?.();
    } else {
      log.debug('llama.cpp', { level, message: line });
    }
  };

  clear(): void {
    this.lines = [];
  }

  async explain(error: Error): Promise<string> {
    if (error.message === NATIVE_LOAD_FAILURE) await this.awaitLine(/failed to load model/, 1000);
    const detail = this.lines.find((line) => line.includes('error loading model:'))?.replace(/^.*error loading model:\s*/, '');
    return detail ? `${error.message} (${detail})` : error.message;
  }

  private awaitLine(pattern: RegExp, timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.lines.some((line) => pattern.test(line))) return;
        clearTimeout(timer);
        this.onLine = null;
        resolve();
      };
      const timer = setTimeout(() => {
        this.onLine = null;
        resolve();
      }, timeoutMs);
      this.onLine = check;
      check();
    });
  }
}

const NATIVE_LOAD_FAILURE = 'Failed to load model';
