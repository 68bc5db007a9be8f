import type { Ora } from 'ora';
import { environment } from '../config/environment.js';

/** Human output helpers: tables, relative times, spinners that only appear on a TTY. */

export interface Column<T> {
  header: string;
  get: (row: T) => string;
}

/** A table with a header row; with no rows and an `empty` sentence, that sentence instead. */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[], empty?: string): string {
  if (rows.length === 0 && empty !== undefined) return `${empty}\n`;
  const cells = rows.map((row) => columns.map((column) => column.get(row)));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...cells.map((line) => line[i]!.length)));
  const format = (line: string[]) =>
    line
      .map((cell, i) => (i === line.length - 1 ? cell : cell.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(columns.map((column) => column.header)), ...cells.map(format)].join('\n') + '\n';
}

export function ago(iso: string | null, now = Date.now()): string {
  if (!iso) return '-';
  const seconds = Math.max(0, Math.round((now - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds}s ago`;
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m ago`;
  if (seconds < 86400) return `${Math.floor(seconds / 3600)}h ago`;
  return `${Math.floor(seconds / 86400)}d ago`;
}

/** Shortens free text to one table cell: whitespace folded, an ellipsis past `max` characters. */
export function clip(text: string, max = 40): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** A terminal a spinner can draw on: a TTY that is not CI and reports a width (a 0-column pty would make ora redraw forever). */
export const isInteractive = (): boolean => Boolean(process.stderr.isTTY) && !environment().ci && (process.stderr.columns ?? 0) > 0;

export interface Progress {
  update(text: string): void;
  succeed(text: string): void;
  fail(text: string): void;
  stop(): void;
}

const spinning = new Set<{ stop(): unknown }>();

/**
 * The one place an ora spinner is made, on stderr. `discardStdin: false`: ora's default puts
 * the terminal in raw mode and never reads it (its listener does not resume a stdin nobody
 * has read yet), so Ctrl-C stayed a byte in the tty's buffer instead of becoming SIGINT.
 */
export async function newSpinner(text?: string): Promise<Ora> {
  const { default: ora } = await import('ora');
  return ora({ text, stream: process.stderr, discardStdin: false });
}

/** An ora spinner on a TTY; when piped or in CI only the final success line is printed, so scripts read clean output. */
export async function progress(text: string): Promise<Progress> {
  if (!isInteractive()) return { update() {}, succeed: (done) => void process.stdout.write(done + '\n'), fail() {}, stop() {} };
  const spinner = (await newSpinner(text)).start();
  spinning.add(spinner);
  const ended = () => spinning.delete(spinner);
  return {
    update: (next) => void (spinner.text = next),
    succeed: (next) => void (spinner.succeed(next), ended()),
    fail: (next) => void (spinner.fail(next), ended()),
    stop: () => void (spinner.stop(), ended()),
  };
}

/** Stops every spinner still turning: its timer would otherwise keep a failed command from exiting. */
export function stopSpinners(): void {
  for (const spinner of spinning) spinner.stop();
  spinning.clear();
}
