/** Something a slot can hold: a loaded model and what belongs to it. */
export interface Resident {
  dispose(): Promise<void>;
}

interface Entry<T extends Resident> {
  readonly key: string;
  readonly loading: Promise<T>;
  settled: boolean;
  users: number;
  retiring: boolean;
  /** Resolves once a retiring entry has no users left. */
  readonly idle: Promise<void>;
  markIdle(): void;
}

/**
 * Keeps at most one resident model of one kind (docs/architecture.md#inference-local-and-remote-models). Callers asking for
 * the resident model share it; a caller asking for another model retires the resident
 * one, waits until its in-flight users are done, unloads it and loads the new one.
 * A failed load is not remembered: the next caller tries again.
 */
export class ModelSlot<T extends Resident> {
  private current: Entry<T> | null = null;
  private lastLoadFailed = false;

  /** Runs `use` with the resident model for `key`, loading it with `load` first if needed. */
  async with<R>(key: string, load: () => Promise<T>, use: (resident: T) => Promise<R>): Promise<R> {
    const entry = await this.enter(key, load);
    try {
      return await use(await entry.loading);
    } finally {
      this.leave(entry);
    }
  }

  status(): { key: string | null; loading: boolean; failed: boolean } {
    const entry = this.current;
    return { key: entry?.key ?? null, loading: entry !== null && !entry.settled, failed: this.lastLoadFailed };
  }

  /** Unloads the resident model once its users are done. */
  async dispose(): Promise<void> {
    const entry = this.current;
    if (entry) await this.retire(entry);
  }

  private async enter(key: string, load: () => Promise<T>): Promise<Entry<T>> {
    for (;;) {
      const entry = this.current;
      if (!entry) {
        this.current = this.newEntry(key, load);
        continue;
      }
      if (entry.key === key && !entry.retiring) {
        entry.users++;
        try {
          await entry.loading;
        } catch (error) {
          this.leave(entry);
          throw error;
        }
        return entry;
      }
      await this.retire(entry);
    }
  }

  private leave(entry: Entry<T>): void {
    entry.users--;
    if (entry.users === 0 && entry.retiring) entry.markIdle();
  }

  private async retire(entry: Entry<T>): Promise<void> {
    if (!entry.retiring) {
      entry.retiring = true;
      if (entry.users === 0) entry.markIdle();
    }
    await entry.idle;
    if (this.current !== entry) return;
    this.current = null;
    const resident = await entry.loading.catch(() => null);
    await resident?.dispose();
  }

  private newEntry(key: string, load: () => Promise<T>): Entry<T> {
    let markIdle!: () => void;
    const idle = new Promise<void>((resolve) => (markIdle = resolve));
    const loading = load();
    const entry: Entry<T> = { key, loading, settled: false, users: 0, retiring: false, idle, markIdle };
    loading.then(
      () => {
        entry.settled = true;
        this.lastLoadFailed = false;
      },
      () => {
        entry.settled = true;
        this.lastLoadFailed = true;
        // A failed load is dropped so that the next caller retries it.
        if (this.current === entry) this.current = null;
      },
    );
    return entry;
  }
}
