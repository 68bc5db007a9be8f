import { totalmem } from 'node:os';
import type { AdmissionStatus } from '../../protocol/core.js';
import { ConfigError } from '../../errors.js';

const BYTES_PER_PERMIT = 2 ** 33; // 8 GiB: about one KV cache's worth of headroom per concurrent call
const RAM_PERMITS_MAX = 8;
const ENV_PERMITS_MAX = 64;
const ENV_NAME = 'CAR_INFERENCE_MAX_CONCURRENT';

/** A held admission permit; `release` is idempotent so every exit path may call it. */
export interface Permit {
  release(): void;
}

interface Waiter {
  grant(permit: Permit): void;
}

/**
 * The process-wide semaphore in front of inference (PROTOCOL.md §11.2): parallel calls
 * queue in FIFO order instead of exhausting RAM with KV caches. A released permit is
 * handed straight to the oldest waiter, so a newcomer can never overtake the queue.
 */
export class InferenceAdmission {
  readonly permitsTotal: number;
  readonly source: AdmissionStatus['source'];
  readonly envOverride: string;
  readonly hostRamBytes = totalmem();
  private inUse = 0;
  /** Insertion-ordered, so iteration is FIFO and a leaving waiter is removed in O(1). */
  private readonly waiters = new Set<Waiter>();

  /** `permits` comes from an embedder's config and beats `envOverride` (the raw `CAR_INFERENCE_MAX_CONCURRENT`); else RAM. */
  constructor(permits?: number, envOverride?: string) {
    if (permits !== undefined) {
      if (!Number.isInteger(permits) || permits < 1 || permits > ENV_PERMITS_MAX) {
        throw new ConfigError(`admissionPermits must be an integer from 1 to ${ENV_PERMITS_MAX}, got ${permits}`);
      }
      this.permitsTotal = permits;
      this.source = 'config';
      this.envOverride = '';
      return;
    }
    const raw = envOverride;
    if (raw !== undefined && raw !== '') {
      this.permitsTotal = parseEnvPermits(raw);
      this.source = 'env';
      this.envOverride = raw;
      return;
    }
    this.permitsTotal = Math.min(RAM_PERMITS_MAX, Math.max(1, Math.floor(this.hostRamBytes / BYTES_PER_PERMIT)));
    this.source = 'ram';
    this.envOverride = '';
  }

  /** Resolves with a permit in FIFO order; rejects with the signal's reason if it aborts first (the waiter leaves the queue). */
  acquire(signal?: AbortSignal): Promise<Permit> {
    signal?.throwIfAborted();
    if (this.inUse < this.permitsTotal && this.waiters.size === 0) {
      this.inUse++;
      return Promise.resolve(this.newPermit());
    }
    return new Promise<Permit>((resolve, reject) => {
      const onAbort = () => {
        this.waiters.delete(waiter);
        reject(signal!.reason);
      };
      const waiter: Waiter = {
        grant: (permit) => {
          signal?.removeEventListener('abort', onAbort);
          resolve(permit);
        },
      };
      this.waiters.add(waiter);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  status(): AdmissionStatus {
    return {
      permits_total: this.permitsTotal,
      permits_available: this.permitsTotal - this.inUse,
      permits_in_use: this.inUse,
      env_override: this.envOverride,
      queued: this.waiters.size,
      source: this.source,
      host_ram_bytes: this.hostRamBytes,
    };
  }

  private newPermit(): Permit {
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.handOver();
      },
    };
  }

  private handOver(): void {
    const next = this.waiters.values().next();
    if (next.done) {
      this.inUse--;
      return;
    }
    this.waiters.delete(next.value);
    next.value.grant(this.newPermit());
  }
}

function parseEnvPermits(raw: string): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(value >= 1 && value <= ENV_PERMITS_MAX)) {
    throw new ConfigError(`${ENV_NAME} must be an integer from 1 to ${ENV_PERMITS_MAX}, got '${raw}'`, `unset it to size admission from RAM (one permit per 8 GiB, 1-${RAM_PERMITS_MAX})`);
  }
  return value;
}
