import type { VoiceEvent } from '../../protocol/voice.js';
import type { SttEngine, SttStream, SttStreamOptions } from './stt-engine.js';

interface Waiting {
  key: string;
  start(): void;
  cancel(): void;
}

/**
 * Lets only a few engine opens (each loads a ~120 MB decoder) run at once and drops the
 * queued opens of sessions that ended meanwhile, so a client that fires starts and vanishes
 * never makes the daemon load a decoder for them (issue 12, defect 1).
 */
export class EngineOpenQueue {
  private running = 0;
  private readonly waiting: Waiting[] = [];

  constructor(private readonly concurrency: number) {}

  /** Opens queued behind the ones running: they hold no decoder yet but will. */
  get queued(): number {
    return this.waiting.length;
  }

  /** The engine as seen by one session: its `open` waits for a turn and can be cancelled by `key`. */
  forSession(key: string, engine: SttEngine): SttEngine {
    return Object.assign(Object.create(engine) as SttEngine, {
      open: (options: SttStreamOptions, onEvent: (event: VoiceEvent) => void) => this.open(key, () => engine.open(options, onEvent)),
    });
  }

  /** The session ended before its turn: its open never runs. */
  cancel(key: string): void {
    const index = this.waiting.findIndex((entry) => entry.key === key);
    if (index >= 0) this.waiting.splice(index, 1)[0]!.cancel();
  }

  private open(key: string, openStream: () => Promise<SttStream>): Promise<SttStream> {
    return new Promise<SttStream>((resolve, reject) => {
      const start = () => {
        this.running++;
        openStream()
          .then(resolve, reject)
          .finally(() => {
            this.running--;
            this.waiting.shift()?.start();
          });
      };
      if (this.running < this.concurrency) start();
      else this.waiting.push({ key, start, cancel: () => reject(new Error('the voice session ended before its speech engine opened')) });
    });
  }
}
