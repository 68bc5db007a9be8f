/** Tokens (or calls) and the ms they took, summed over many calls: tokens/s over a whole run, not a mean of per-call rates. */
export interface Throughput {
  tokens: number;
  ms: number;
}

export const zero = (): Throughput => ({ tokens: 0, ms: 0 });

export const perSecond = ({ tokens, ms }: Throughput) => (tokens / ms) * 1000;

export function add(total: Throughput, sample: Throughput): void {
  total.tokens += sample.tokens;
  total.ms += sample.ms;
}

/** Times `work`, which resolves with the tokens (or calls) it produced. */
export async function timed(work: () => Promise<number>): Promise<Throughput> {
  const started = performance.now();
  const tokens = await work();
  return { tokens, ms: performance.now() - started };
}

/** Runs both calls, `second` first when `flip`: alternating `flip` call by call, neither side always follows the same call. */
export async function inTurn(flip: boolean, first: () => Promise<void>, second: () => Promise<void>): Promise<void> {
  for (const call of flip ? [second, first] : [first, second]) await call();
}
