/**
 * Reports at most every `intervalMs`, always the latest values, whether or not the total is
 * known; `flush` sends what is pending at once (the final figure) and stops the timer.
 */
export function progressThrottle<T extends unknown[]>(intervalMs: number, send: (...values: T) => void): { report: (...values: T) => void; flush: () => void } {
  let last = 0;
  let timer: NodeJS.Timeout | null = null;
  let pending: T | null = null;
  const emit = () => {
    timer = null;
    last = Date.now();
    if (pending) send(...pending);
    pending = null;
  };
  return {
    report(...values) {
      pending = values;
      if (!timer) timer = setTimeout(emit, Math.max(0, last + intervalMs - Date.now()));
    },
    flush() {
      if (timer) clearTimeout(timer);
      emit();
    },
  };
}
