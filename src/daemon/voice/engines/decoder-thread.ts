import { Worker } from 'node:worker_threads';
import type { VoiceEvent } from '../../../protocol/voice.js';
import { log } from '../../log.js';
import type { SttStream, SttStreamOptions } from '../stt-engine.js';
import { EngineLoadFailure } from './engine-record.js';
import type { WorkerReply, WorkerRequest } from './stream-messages.js';

/**
 * Up to `maxThreads` worker threads running `script` (started on first use); a new stream
 * goes to an idle thread, else a new one, else the least busy. Each stream stays on its
 * thread, so its chunks are decoded in order, and the daemon's event loop never decodes.
 */
export class DecoderThreads {
  private readonly threads: DecoderThread[] = [];

  constructor(
    private readonly script: URL,
    /** The data of the thread with this index (0 for the first started). */
    private readonly workerData: (threadIndex: number) => unknown,
    private readonly maxThreads: number,
  ) {}

  open(options: SttStreamOptions, onEvent: (event: VoiceEvent) => void): Promise<SttStream> {
    return this.leastBusyThread().open(options, onEvent);
  }

  openStreams(): number {
    return this.threads.reduce((sum, thread) => sum + thread.streamCount, 0);
  }

  threadCount(): number {
    return this.threads.length;
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.terminate()));
  }

  private leastBusyThread(): DecoderThread {
    const idle = this.threads.find((thread) => thread.streamCount === 0);
    if (idle) return idle;
    if (this.threads.length < this.maxThreads) {
      const thread = new DecoderThread(this.script, this.workerData(this.threads.length));
      this.threads.push(thread);
      return thread;
    }
    return this.threads.reduce((best, thread) => (thread.streamCount < best.streamCount ? thread : best));
  }
}

interface Pending {
  resolve(): void;
  reject(error: Error): void;
}

/** One engine worker thread (see stream-worker.ts) and the streams it decodes; restarted on the next open if it dies. */
class DecoderThread {
  private worker: Worker | null = null;
  private nextTicket = 1;
  private nextStream = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<number, (event: VoiceEvent) => void>();

  constructor(
    private readonly script: URL,
    private readonly workerData: unknown,
  ) {}

  get streamCount(): number {
    return this.listeners.size;
  }

  async open(options: SttStreamOptions, onEvent: (event: VoiceEvent) => void): Promise<SttStream> {
    const stream = this.nextStream++;
    this.listeners.set(stream, onEvent);
    try {
      await this.call({
        op: 'open',
        stream,
        sampleRate: options.sampleRate,
        channels: options.channels,
        partials: options.partials,
        mode: options.mode ?? 'live',
      });
    } catch (error) {
      this.listeners.delete(stream);
      throw error;
    }
    return {
      write: (pcm) => {
        // A copy the worker can own: the caller's buffer may be a view into a shared pool.
        const owned = new Uint8Array(pcm);
        return this.call({ op: 'write', stream, pcm: owned.buffer }, [owned.buffer]);
      },
      end: () => this.call({ op: 'end', stream }).finally(() => this.listeners.delete(stream)),
      discard: () => {
        if (!this.listeners.delete(stream)) return;
        this.worker?.postMessage({ op: 'discard', stream } satisfies WorkerRequest);
      },
    };
  }

  async terminate(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    if (worker) await worker.terminate();
  }

  private call(request: DistributiveOmit<Exclude<WorkerRequest, { op: 'discard' }>, 'ticket'>, transfer: ArrayBuffer[] = []): Promise<void> {
    const ticket = this.nextTicket++;
    return new Promise<void>((resolve, reject) => {
      this.pending.set(ticket, { resolve, reject });
      this.ensureWorker().postMessage({ ...request, ticket }, transfer);
    });
  }

  private ensureWorker(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(this.script, { workerData: this.workerData });
    worker.unref();
    worker.on('message', (reply: WorkerReply) => this.receive(reply));
    worker.on('error', (error) => log.error('speech engine thread failed', { error: error.message }));
    worker.on('exit', (code) => {
      if (this.worker !== worker) return;
      this.worker = null;
      if (this.pending.size || this.listeners.size) log.error('speech engine thread stopped with streams open', { code, streams: this.listeners.size });
      this.failAll('the speech engine stopped unexpectedly; start a new session');
    });
    this.worker = worker;
    return worker;
  }

  private receive(reply: WorkerReply): void {
    if (reply.op === 'event') {
      this.listeners.get(reply.stream)?.(reply.event);
      return;
    }
    const pending = this.pending.get(reply.ticket);
    if (!pending) return;
    this.pending.delete(reply.ticket);
    if (reply.error === undefined) pending.resolve();
    else pending.reject(reply.failure === undefined ? new Error(reply.error) : new EngineLoadFailure(reply.failure, reply.error));
  }

  private failAll(message: string): void {
    for (const pending of this.pending.values()) pending.reject(new Error(message));
    this.pending.clear();
    const listeners = [...this.listeners.values()];
    this.listeners.clear();
    for (const listener of listeners) listener({ type: 'error', message, fatal: true });
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
