/**
 * The daemon's one-line logger. A foreground daemon logs to stderr; a background one has
 * stderr redirected to `logs/daemon.log`. Callers pass ids and counts, never secrets or
 * user content (PROTOCOL.md §20).
 */
type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

let threshold: number = ORDER.info;
let sink: (line: string) => void = (line) => process.stderr.write(line);

function write(level: Level, message: string, fields?: Record<string, unknown>): void {
  if (ORDER[level] < threshold) return;
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`;
    }
  }
  sink(line + '\n');
}

export const log = {
  debug: (message: string, fields?: Record<string, unknown>) => write('debug', message, fields),
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
  /** Embedders and tests redirect or silence the log. */
  configure(options: { level?: Level; sink?: (line: string) => void }): void {
    if (options.level) threshold = ORDER[options.level];
    if (options.sink) sink = options.sink;
  },
};
