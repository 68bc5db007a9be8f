import type { RpcError } from '../../../protocol/errors.js';
import { unavailable } from '../../../protocol/errors.js';
import { BYTES_PER_SAMPLE, DEFAULT_SAMPLE_RATE, type CapturedSource } from '../../../protocol/voice.js';
import { log } from '../../log.js';
import type { SourceRemovals } from './source-removals.js';
import { spawnTied, type ToolProcess } from './tied-process.js';

/** The server hands parec audio in pieces of about this length: lower costs wake-ups, higher adds delay to every final. */
export const CAPTURE_LATENCY_MS = 50;
/**
 * Audio goes on to the decoder in pieces of at least this much: sources deliver 10–20 ms at a
 * time, and each piece costs a message to the decoder thread, which steps in 100 ms anyway.
 */
const HANDOVER_BYTES = (DEFAULT_SAMPLE_RATE * BYTES_PER_SAMPLE) / 10;
/** A source that delivers nothing for this long after parec started is refused (a suspended or broken device). */
const FIRST_AUDIO_TIMEOUT_MS = 5000;
const STDERR_KEPT_CHARS = 2000;

/** A source ready to record: `index` is the server's number for it, which removal events quote. */
export interface ResolvedSource extends CapturedSource {
  index: number;
}

export interface RecordingListener {
  /** 16 kHz mono s16le, whole samples, in order. */
  onPcm(pcm: Buffer): void;
  /** The source vanished or the recorder died while recording (after `started`); called at most once. */
  onLost(reason: string): void;
}

/**
 * One source recorded by a `parec` child: raw 16 kHz mono s16le on its stdout, `started` once
 * audio flows (with the wall-clock time the first audio was heard), `stop()` to end it. A
 * source that the server removes is reported lost at once: the server would otherwise move
 * the recording to its default source without a word.
 */
export class SourceRecording {
  /** Settles once audio flows; rejects if the recording never started. */
  readonly started: Promise<void>;
  private child: ToolProcess | null = null;
  private heard = false;
  private deliveredMs = 0;
  private sampleZeroAt = Infinity;
  private stopping = false;
  private lost = false;
  private stderr = '';
  /** Audio received but not yet handed over (less than HANDOVER_BYTES, or a byte short of a sample). */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private readonly unwatch: () => void;
  private readonly exited: Promise<void>;
  private markExited!: () => void;
  private heardAt!: () => void;
  private notStarted!: (error: RpcError) => void;
  private readonly timer: NodeJS.Timeout;

  constructor(
    readonly source: ResolvedSource,
    env: NodeJS.ProcessEnv,
    removals: SourceRemovals,
    private readonly listener: RecordingListener,
    private readonly failure: (stderr: string) => RpcError,
  ) {
    this.exited = new Promise((resolve) => (this.markExited = resolve));
    this.started = new Promise<void>((resolve, reject) => {
      this.heardAt = resolve;
      this.notStarted = reject;
    });
    this.started.catch(() => undefined);
    this.timer = setTimeout(
      () =>
        this.loseSource(
          `source '${source.name}' delivered no audio within ${FIRST_AUDIO_TIMEOUT_MS / 1000} s; check it is not suspended or muted (\`pactl list sources short\`)`,
        ),
      FIRST_AUDIO_TIMEOUT_MS,
    );
    this.unwatch = removals.watch(source.index, () => this.loseSource(`source '${source.name}' was removed from the sound server`));
    const args = [
      '--raw',
      '--format=s16le',
      `--rate=${DEFAULT_SAMPLE_RATE}`,
      '--channels=1',
      `--latency-msec=${CAPTURE_LATENCY_MS}`,
      `--device=${source.name}`,
      '--client-name=car',
      `--stream-name=car ${source.role}`,
    ];
    spawnTied('parec', args, env).then(
      (child) => this.attach(child),
      (error: Error) => this.ended(unavailable(`parec could not be started: ${error.message}`), null),
    );
  }

  /**
   * When the recording's first sample was captured (epoch ms): the earliest arrival less the
   * audio delivered by then, since audio can arrive late but never early. A source that had
   * audio queued (a pipe source's backlog) hands it over in a burst; this sees through it.
   */
  get firstSampleAt(): number {
    return this.sampleZeroAt;
  }

  /** Ends the recording; resolves once the recorder has exited. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearTimeout(this.timer);
    this.unwatch();
    this.child?.kill('SIGTERM');
    await this.exited;
  }

  private attach(child: ToolProcess): void {
    this.child = child;
    if (this.stopping) child.kill('SIGTERM');
    child.stderr.setEncoding('utf8').on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-STDERR_KEPT_CHARS)));
    child.stdout.on('data', (chunk: Buffer) => this.deliver(chunk));
    child.on('error', (error: NodeJS.ErrnoException) =>
      this.ended(error.code === 'ENOENT' ? this.failure('') : unavailable(`parec could not be started: ${error.message}`), null),
    );
    child.on('exit', (code, signal) => {
      const cause = this.stderr.trim().split('\n').at(-1) ?? '';
      const why = /no such entity/i.test(cause)
        ? unavailable(`source '${this.source.name}' went away before recording started; list the sources again (\`car voice devices\`)`)
        : this.failure(this.stderr);
      this.ended(why, `the recorder of source '${this.source.name}' ended (${signal ?? `exit ${code}`}${cause ? `: ${cause}` : ''})`);
    });
  }

  private deliver(chunk: Buffer): void {
    if (this.stopping || this.lost) return;
    this.pending.push(chunk);
    this.pendingBytes += chunk.length;
    const whole = this.pendingBytes - (this.pendingBytes % BYTES_PER_SAMPLE);
    this.deliveredMs += (chunk.length / (DEFAULT_SAMPLE_RATE * BYTES_PER_SAMPLE)) * 1000;
    this.sampleZeroAt = Math.min(this.sampleZeroAt, Date.now() - this.deliveredMs);
    if (!this.heard) {
      this.heard = true;
      clearTimeout(this.timer);
      this.heardAt();
    }
    if (whole < HANDOVER_BYTES) return;
    const joined = Buffer.concat(this.pending, this.pendingBytes);
    this.pending = whole < joined.length ? [Buffer.from(joined.subarray(whole))] : [];
    this.pendingBytes = joined.length - whole;
    this.listener.onPcm(joined.subarray(0, whole));
  }

  /** The recorder is gone: before any audio that is a failed start, after it a lost source (unless we stopped it). */
  private ended(startFailure: RpcError, lostReason: string | null): void {
    clearTimeout(this.timer);
    this.unwatch();
    this.markExited();
    if (this.stopping) return;
    if (!this.heard) this.notStarted(startFailure);
    else if (lostReason) this.loseSource(lostReason);
  }

  private loseSource(reason: string): void {
    if (this.lost || this.stopping) return;
    this.lost = true;
    void this.stop();
    if (!this.heard) return this.notStarted(unavailable(reason));
    log.warn('capture source lost', { source: this.source.name, reason });
    this.listener.onLost(reason);
  }
}
