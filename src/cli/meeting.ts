import { setTimeout as sleep } from 'node:timers/promises';
import { stringArg } from './args.js';
import type { Ora } from 'ora';
import type { Connection } from '../client/connection.js';
import {
  speakerPrefix,
  transcriptLines,
  transcriptStamp,
  type MeetingEntry,
  type MeetingRecord,
  type MeetingStartResult,
  type MeetingStopReason,
  type MeetingSummarizeResult,
} from '../protocol/meeting.js';
import type { VoiceEvent } from '../protocol/voice.js';
import { ago, isInteractive, newSpinner, table } from './render.js';

/** `car meeting …`: recording from a file or stdin, the live view, and the listings. */

/** The namespace a CLI meeting's transcript goes to, so it outlives the command's connection (docs/protocol.md#meeting-lifecycle). */
export const DEFAULT_MEETING_NAMESPACE = 'meetings';

/** The `<id>` every command about one meeting takes. */
export const meetingIdArg = stringArg({ description: 'meeting id (see `car meeting ls`)', required: true });

/**
 * The live transcript: on a terminal a spinner line with the meeting's time and the open
 * segment's partial text, each final printed above it with its `[mm:ss]` stamp; off a
 * terminal only the finals.
 */
export class MeetingView {
  private spinner: Ora | null = null;
  private timer: NodeJS.Timeout | null = null;
  private partial = '';
  private startedAt = Date.now();
  /** How far into the audio the engine has got: a file is sent faster than real time, so its stamps run ahead of the clock. */
  private audioMs = 0;
  private label = 'recording';

  static async create(): Promise<MeetingView> {
    const view = new MeetingView();
    if (isInteractive()) view.spinner = await newSpinner();
    return view;
  }

  started(meeting: MeetingStartResult): void {
    this.startedAt = Date.now();
    this.label = `recording ${meeting.title ?? meeting.id}`;
    if (!this.spinner) return;
    this.spinner.start(this.line());
    this.timer = setInterval(() => this.refresh(), 1000);
  }

  show(event: VoiceEvent): void {
    if (event.type === 'speech_start' || event.type === 'speech_end') this.audioMs = Math.max(this.audioMs, event.at_ms);
    if (event.type === 'transcript') this.audioMs = Math.max(this.audioMs, event.end_ms);
    if (event.type === 'partial') {
      this.partial = event.text;
      this.refresh();
    } else if (event.type === 'transcript') {
      this.partial = '';
      this.refresh();
      this.above(() => process.stdout.write(`[${transcriptStamp(event.start_ms)}] ${speakerPrefix(event.role)}${event.text}\n`));
    } else if (event.type === 'error') {
      this.above(() => process.stderr.write(`${event.fatal ? 'error' : 'warning'}: ${event.message}\n`));
    }
  }

  stopping(summarize: boolean): void {
    if (this.timer) clearInterval(this.timer);
    this.partial = '';
    this.label = summarize ? 'stopping and summarising' : 'stopping';
    this.refresh();
  }

  done(): void {
    if (this.timer) clearInterval(this.timer);
    this.spinner?.stop();
  }

  private refresh(): void {
    if (this.spinner) this.spinner.text = this.line();
  }

  private line(): string {
    // The same clock as the `[mm:ss]` stamps: audio time, which for live audio is the wall clock.
    const elapsed = transcriptStamp(Math.max(Date.now() - this.startedAt, this.audioMs));
    const width = Math.max(10, (process.stderr.columns || 80) - this.label.length - elapsed.length - 8);
    const partial = this.partial.length > width ? `…${this.partial.slice(-(width - 1))}` : this.partial;
    return `${this.label} ${elapsed}${partial ? `  \x1b[2m${partial}\x1b[0m` : ''}`;
  }

  /** Prints a line above the spinner without tearing it. */
  private above(print: () => void): void {
    this.spinner?.clear();
    print();
    if (this.spinner?.isSpinning) this.spinner.render();
  }
}

export const FINAL_PASS_NOTE = 'final pass: the recording was decoded again in long windows; this transcript replaces the live one';

/** Where the meeting's files are, and how it ended. */
export function meetingOutcome(meeting: MeetingRecord): string {
  const lines = [
    ...(meeting.segment_count === 0 ? ['no speech detected'] : []),
    `meeting ${meeting.id} ${meeting.status}: ${meeting.segment_count} segment${meeting.segment_count === 1 ? '' : 's'}, ${transcriptStamp(meeting.duration_ms ?? 0)}`,
    // Its lines differ from the ones printed while it recorded, which would otherwise look like a mistake.
    ...(meeting.transcript_kind === 'final' && meeting.segment_count > 0 ? [FINAL_PASS_NOTE] : []),
    `transcript  ${meeting.path}/transcript.md`,
    meeting.summary !== null ? `summary     ${meeting.path}/summary.md` : `summary     none${meeting.summary_error ? ` (${meeting.summary_error})` : ''}`,
  ];
  return lines.join('\n') + '\n';
}

export function meetingTable(meetings: readonly MeetingEntry[]): string {
  return table(meetings, [
    { header: 'ID', get: (m) => m.id },
    { header: 'TITLE', get: (m) => m.title ?? '-' },
    { header: 'STATUS', get: (m) => m.status },
    { header: 'STARTED', get: (m) => ago(m.started_at) },
    { header: 'DURATION', get: (m) => (m.duration_ms === null ? '-' : transcriptStamp(m.duration_ms)) },
    { header: 'SEGMENTS', get: (m) => String(m.segment_count) },
    { header: 'SUMMARY', get: (m) => ('error' in m ? `unreadable: ${m.error}` : m.summary !== null ? 'yes' : m.summary_error ? 'no' : '-') },
  ]);
}

/** Where `car meeting summarize` put the summary, of which kind and why, and where the one it replaced is kept. */
export function summaryPlaces({ path, summary_kind, summary_reason, previous_path }: MeetingSummarizeResult): string {
  const kind = `${summary_kind}${summary_reason ? `: ${summary_reason}` : ''}`;
  return [`summary     ${path}  (${kind})`, ...(previous_path ? [`previous    ${previous_path}`] : [])].join('\n') + '\n';
}

/** How a meeting ended, in words. */
const STOP_REASONS: Record<MeetingStopReason, string> = {
  requested: 'stopped by request',
  end_of_file: 'end of the audio',
  owner_disconnected: 'the recording client disconnected',
  device_lost: 'a recorded source went away',
  daemon_shutdown: 'the daemon stopped',
  daemon_restart: 'cut off when its daemon stopped',
  error: 'error',
};

/** `car meeting show`: metadata, summary, then the transcript with `[mm:ss]` stamps and each line's role. */
export function meetingReport(record: MeetingRecord): string {
  const summary = record.summary ?? `(none${record.summary_error ? `: ${record.summary_error}` : ''})`;
  const transcript = record.transcript.length ? transcriptLines(record.transcript) : ['(no speech transcribed)'];
  return [...meetingHeader(record), '', 'summary', indent(summary), '', 'transcript', ...transcript.map(indent)].join('\n') + '\n';
}

/** The details of `car meeting show`, one `name      value` line each. */
export function meetingHeader(record: MeetingRecord): string[] {
  const fields: [string, string | null][] = [
    ['meeting', record.id],
    ['title', record.title],
    ['status', `${record.status}${record.stop_reason ? ` (${STOP_REASONS[record.stop_reason]})` : ''}`],
    ['error', 'error' in record ? record.error : null],
    ['started', record.started_at],
    ['ended', record.ended_at],
    ['duration', record.duration_ms === null ? null : transcriptStamp(record.duration_ms)],
    ['segments', String(record.segment_count)],
    ['transcript', record.transcript_kind === 'final' ? 'final (decoded over the whole recording)' : 'live (decoded while recording)'],
    ['source', record.audio_source_kind],
    ['roles', record.sources?.length ? record.sources.map((source) => `${source.role} (${source.device})`).join(', ') : null],
    ['path', record.path],
  ];
  return fields.filter((field): field is [string, string] => field[1] !== null).map(([name, value]) => `${name.padEnd(10)}${value}`);
}

export const indent = (text: string) =>
  text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');

/** How often `car meeting show --follow` reads a recording meeting again. */
const FOLLOW_INTERVAL_MS = 500;

/**
 * `car meeting show --follow`: the details once, then each transcript line as it is saved
 * (lines of several streams are shown as they come), until the meeting stops (its outcome
 * follows) or `signal` aborts. `--json` prints each line as a JSON object, then the record.
 */
export async function followMeeting(client: Connection, id: string, signal: AbortSignal, json: boolean): Promise<void> {
  const print = (text: string) => void process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
  let record = await client.call('meeting.get', { meeting_id: id });
  if (!json) print([...meetingHeader(record), '', 'transcript'].join('\n'));
  const shown = new Set<number>();
  for (;;) {
    for (const line of record.transcript) {
      if (shown.has(line.index)) continue;
      shown.add(line.index);
      print(json ? JSON.stringify(line) : indent(transcriptLines([line])[0]!));
    }
    if (record.status !== 'recording' || signal.aborted) break;
    await sleep(FOLLOW_INTERVAL_MS, undefined, { signal }).catch(() => undefined);
    if (signal.aborted) break;
    record = await client.call('meeting.get', { meeting_id: id });
  }
  if (record.status === 'recording') return;
  if (json) print(JSON.stringify({ type: 'result', ...record, transcript: undefined }));
  else print(`\n${meetingOutcome(record)}`);
}
