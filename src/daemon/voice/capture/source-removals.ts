import { log } from '../../log.js';
import { spawnTied, type ToolProcess } from './tied-process.js';

const REMOVED_SOURCE = /^Event 'remove' on source #(\d+)$/;

/**
 * Sources that vanish while they are recorded, from one `pactl subscribe` child that runs
 * while anything is watched. PulseAudio (15+) and PipeWire move a recording whose source is
 * removed to the default source instead of ending it, so this is how a lost device is noticed.
 */
export class SourceRemovals {
  private readonly watchers = new Map<number, Set<() => void>>();
  private running: { child: Promise<ToolProcess> } | null = null;

  constructor(private readonly env: NodeJS.ProcessEnv) {}

  /** Calls `onRemoved` once if source `index` goes away; the returned function stops watching. */
  watch(index: number, onRemoved: () => void): () => void {
    let once = false;
    const fire = () => {
      if (once) return;
      once = true;
      onRemoved();
    };
    const set = this.watchers.get(index) ?? new Set();
    set.add(fire);
    this.watchers.set(index, set);
    this.running ??= this.subscribe();
    return () => {
      set.delete(fire);
      if (set.size === 0) this.watchers.delete(index);
      if (this.watchers.size === 0) this.unsubscribe();
    };
  }

  private subscribe(): { child: Promise<ToolProcess> } {
    const run = {
      child: spawnTied('pactl', ['subscribe'], this.env).then((child) => {
        let pending = '';
        child.stdout.setEncoding('utf8').on('data', (text: string) => {
          const lines = (pending + text).split('\n');
          pending = lines.pop() ?? '';
          for (const line of lines) {
            const removed = REMOVED_SOURCE.exec(line.trim());
            if (removed) this.removed(Number(removed[1]));
          }
        });
        child.stderr.resume();
        child.on('error', (error) => log.warn('sound server events cannot be watched', { error: error.message }));
        child.on('exit', () => {
          if (this.running !== run) return;
          // The server went away (its recorders end too) or the watcher died: every watched source is as good as lost.
          this.running = null;
          for (const index of [...this.watchers.keys()]) this.removed(index);
        });
        return child;
      }),
    };
    return run;
  }

  private unsubscribe(): void {
    const run = this.running;
    this.running = null;
    void run?.child.then(
      (child) => child.kill('SIGTERM'),
      () => undefined,
    );
  }

  private removed(index: number): void {
    for (const fire of [...(this.watchers.get(index) ?? [])]) fire();
  }
}
