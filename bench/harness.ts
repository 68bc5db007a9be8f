/** Shared shapes and statistics for `npm run bench`; every figure has a baseline measured in the same run. */

export interface BenchRow {
  metric: string;
  unit: string;
  ours: number;
  baseline: number;
  /** ours / baseline, or baseline / ours for lower-is-better metrics, as the target states. */
  ratio: number;
  target: string;
  /** Whether the ratio meets the target. */
  ok: boolean;
}

export interface BenchSection<Prepared = unknown> {
  name: string;
  /**
   * Every figure is a count, an audio position or this process's CPU time, never wall time:
   * other sections' `prepare` may run in their own processes meanwhile.
   */
  sharesCores?: boolean;
  /**
   * Measures quality (word error rate against a reference decoder), not speed or memory: its
   * figures do not change with the code's speed, and it runs only with `--quality` or by name.
   */
  quality?: boolean;
  /** Unmeasured setup in processes of its own (a large fact file), started while `sharesCores` sections run; `run` gets its result. */
  prepare?(): Promise<Prepared>;
  run(prepared: Prepared): Promise<BenchRow[]>;
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export function summarize(samples: number[]): { p50: number; p99: number; mean: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), mean: sorted.reduce((a, b) => a + b, 0) / sorted.length };
}

/** A higher-is-better row: ratio = ours / baseline, met when ≥ min. */
export function atLeast(metric: string, unit: string, ours: number, baseline: number, min: number): BenchRow {
  const ratio = ours / baseline;
  return { metric, unit, ours, baseline, ratio, target: `≥ ${min}×`, ok: ratio >= min };
}

/** A lower-is-better row: ratio = ours / baseline, met when ≤ max. */
export function atMost(metric: string, unit: string, ours: number, baseline: number, max: number): BenchRow {
  const ratio = ours / baseline;
  return { metric, unit, ours, baseline, ratio, target: `≤ ${max}×`, ok: ratio <= max };
}

/** An absolute limit (e.g. KB per session), still printed with its same-run baseline for scale. */
export function underLimit(metric: string, unit: string, ours: number, baseline: number, limit: number): BenchRow {
  return { metric, unit, ours, baseline, ratio: ours / baseline, target: `≤ ${limit} ${unit}`, ok: ours <= limit };
}

/** A figure the issue asks to report without a target (e.g. RSS once sessions are gone), beside its baseline. */
export function reported(metric: string, unit: string, ours: number, baseline: number): BenchRow {
  return { metric, unit, ours, baseline, ratio: ours / baseline, target: 'report', ok: true };
}

/** A ratio against a zero baseline (0 streams, 0 ms) is printed as a dash rather than NaN× or Infinity×. */
export function formatRows(section: string, rows: BenchRow[]): string {
  const fmt = (n: number) => (Number.isInteger(n) ? String(n) : Math.abs(n) >= 100 ? n.toFixed(0) : n.toFixed(2));
  const lines = rows.map((r) => [
    r.metric,
    r.unit,
    fmt(r.ours),
    fmt(r.baseline),
    Number.isFinite(r.ratio) ? `${r.ratio.toFixed(2)}×` : '–',
    r.target,
    r.target === 'report' ? '' : r.ok ? 'met' : 'MISSED',
  ]);
  const header = ['metric', 'unit', 'ours', 'baseline', 'ratio', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const row = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [`## ${section}`, row(header), ...lines.map(row)].join('\n') + '\n';
}
