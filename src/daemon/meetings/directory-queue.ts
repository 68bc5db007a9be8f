/**
 * Work on one meeting directory runs one piece at a time, in call order (issue 26, defect 6):
 * a delete that raced a summary removed the transcript while the summary was being written,
 * then failed with ENOTEMPTY. Different directories never wait for each other.
 */
export class DirectoryQueue {
  private readonly tails = new Map<string, Promise<unknown>>();

  /** Runs `work` once everything queued before it on `dir` has settled; its outcome is the caller's. */
  run<T>(dir: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(dir) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(dir, tail);
    void tail.then(() => {
      if (this.tails.get(dir) === tail) this.tails.delete(dir);
    });
    return result;
  }
}
