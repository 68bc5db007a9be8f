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
 * A FIFO semaphore (docs/protocol.md#admission-status): parallel calls queue in arrival order instead of
 * exhausting what the permits stand for. A released permit is handed straight to the oldest
 * waiter, so a newcomer can never overtake the queue.
 */
export class PermitQueue {
  private used = 0;
  /** Insertion-ordered, so iteration is FIFO and a leaving waiter is removed in O(1). */
  private readonly waiters = new Set<Waiter>();

  constructor(readonly permitsTotal: number) {}

  get inUse(): number {
    return this.used;
  }

  get queued(): number {
    return this.waiters.size;
  }

  /** Resolves with a permit in FIFO order; rejects with the signal's reason if it aborts first (the waiter leaves the queue). */
  acquire(signal?: AbortSignal): Promise<Permit> {
    signal?.throwIfAborted();
    if (this.used < this.permitsTotal && this.waiters.size === 0) {
      this.used++;
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
      this.used--;
      return;
    }
    this.waiters.delete(next.value);
    next.value.grant(this.newPermit());
  }
}

/** The process-wide gate in front of local inference, sized from host RAM unless configured. */
export class InferenceAdmission extends PermitQueue {
  readonly source: AdmissionStatus['source'];
  readonly envOverride: string;
  readonly hostRamBytes: number;

  /** `permits` comes from an embedder's config and beats `envOverride` (the raw `CAR_INFERENCE_MAX_CONCURRENT`); else RAM. */
  constructor(permits?: number, envOverride?: string) {
    const sized = sizePermits(permits, envOverride);
    super(sized.permitsTotal);
    this.source = sized.source;
    this.envOverride = sized.envOverride;
    this.hostRamBytes = sized.hostRamBytes;
  }

  /** `admission.status`, with the remote models' gates given beside it (one literal: copying this object with `...` took V8's slow clone path, ~1 µs a call). */
  status(remote: AdmissionStatus['remote'] = []): AdmissionStatus {
    return {
      permits_total: this.permitsTotal,
      permits_available: this.permitsTotal - this.inUse,
      permits_in_use: this.inUse,
      env_override: this.envOverride,
      queued: this.queued,
      source: this.source,
      host_ram_bytes: this.hostRamBytes,
      remote,
    };
  }
}

function sizePermits(
  permits: number | undefined,
  envOverride: string | undefined,
): { permitsTotal: number; source: AdmissionStatus['source']; envOverride: string; hostRamBytes: number } {
  const hostRamBytes = totalmem();
  if (permits !== undefined) {
    if (!Number.isInteger(permits) || permits < 1 || permits > ENV_PERMITS_MAX) {
      throw new ConfigError(`admissionPermits must be an integer from 1 to ${ENV_PERMITS_MAX}, got ${permits}`);
    }
    return { permitsTotal: permits, source: 'config', envOverride: '', hostRamBytes };
  }
  if (envOverride !== undefined && envOverride !== '') return { permitsTotal: parseEnvPermits(envOverride), source: 'env', envOverride, hostRamBytes };
  return { permitsTotal: Math.min(RAM_PERMITS_MAX, Math.max(1, Math.floor(hostRamBytes / BYTES_PER_PERMIT))), source: 'ram', envOverride: '', hostRamBytes };
}

function parseEnvPermits(raw: string): number {
  const value = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(value >= 1 && value <= ENV_PERMITS_MAX)) {
    throw new ConfigError(
      `${ENV_NAME} must be an integer from 1 to ${ENV_PERMITS_MAX}, got '${raw}'`,
      `unset it to size admission from RAM (one permit per 8 GiB, 1-${RAM_PERMITS_MAX})`,
    );
  }
  return value;
}
