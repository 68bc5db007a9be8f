import { z } from 'zod';
import { defineMethods, defineNotifications } from './descriptor.js';
import { isAbsolutePath } from './text.js';
import { transcribeStartParams } from './voice.js';

/** Meetings: recorded, transcribed, persisted and summarised voice sessions (PROTOCOL.md §16). */

export const MEETING_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** §16.3: a file source larger than this is refused. */
export const MAX_MEETING_FILE_BYTES = 2 * 1024 ** 3;
export const MAX_MEETING_TITLE_CHARS = 200;

/** A single path segment, so an id can never climb out of the meetings root. */
export const meetingId = z
  .string()
  .regex(MEETING_ID_PATTERN, "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");

const absolutePath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((path) => !path.includes('\0'), 'must not contain NUL bytes')
  .refine((path) => isAbsolutePath(path), 'must be an absolute path on the daemon host');

/** Where meetings live; `<state root>/meetings` when left out. */
const meetingsRoot = absolutePath.optional().describe('the meetings directory (absolute); <state root>/meetings when left out');

const pcmPushSource = transcribeStartParams.shape.audio_source.unwrap();

const fileSource = z.strictObject({
  kind: z.literal('file'),
  path: absolutePath,
});

const audioSource = z.discriminatedUnion('kind', [pcmPushSource, fileSource], {
  error: (issue) => {
    if (issue.code !== 'invalid_union' || issue.note !== 'No matching discriminator') return undefined;
    const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
    return kind === undefined
      ? "audio_source needs a 'kind': 'pcm_push' (push audio over the connection) or 'file' (a WAV file the daemon reads)"
      : `audio source '${String(kind)}' is not available on this daemon; use 'pcm_push' or 'file'`;
  },
});

/** Upstream's capture sources; this daemon has no capture devices, so any value is refused. */
const captureSource = z.string().refine(() => false, {
  error: (issue) => `audio source '${String(issue.input)}' is not available on this daemon (no capture devices); use audio_source 'pcm_push' or 'file'`,
});

const language = transcribeStartParams.shape.options.unwrap().shape.language;

export const meetingStartParams = z
  .strictObject({
    id: meetingId.optional().describe("generated as 'mtg-<YYYYMMDD>-<6 hex>' when left out"),
    title: z.string().min(1, 'must not be empty').max(MAX_MEETING_TITLE_CHARS, `must be at most ${MAX_MEETING_TITLE_CHARS} characters`).optional(),
    audio_source: audioSource
      .default({ kind: 'pcm_push', sample_rate: 16000, channels: 1 })
      .describe("'pcm_push': push audio to the returned voice_session_id; 'file': a WAV file on the daemon host (at most 2 GiB), read as fast as the engine allows"),
    summarize_on_end: z.boolean().optional().describe('file sources: summarise when the file ends (default true)'),
    sources: z.array(captureSource).max(8).optional().describe('capture devices: refused, this daemon has none'),
    language,
    /** Accepted for upstream compatibility; the local speech engine has one model per language. */
    model: z.string().min(1).max(200).optional(),
    persist_audio: z.boolean().default(false).describe('keep audio.wav (file sources only)'),
    root: meetingsRoot,
  })
  .refine((params) => !params.persist_audio || params.audio_source.kind === 'file', {
    message: "persist_audio is only available for 'file' sources on this daemon; pushed audio is not kept",
    path: ['persist_audio'],
  });

export const meetingStopParams = z.strictObject({
  meeting_id: meetingId,
  summarize: z.boolean().optional().describe("default: the meeting's summarize_on_end (true unless the start said otherwise)"),
});

export const meetingListParams = z.strictObject({
  root: meetingsRoot,
});

export const meetingGetParams = z.strictObject({
  meeting_id: meetingId,
  root: meetingsRoot,
});

/** Template names are single path segments: a user template is `<state root>/templates/<name>.md`. */
const templateName = z.string().regex(MEETING_ID_PATTERN, "must be a template name: default, action-items, decisions, standup, or the stem of a .md file in <state root>/templates");

export const meetingSummarizeParams = z.strictObject({
  id: meetingId,
  template: templateName.default('default').describe('default, action-items, decisions, standup, or <state root>/templates/<name>.md'),
  language: z
    .string()
    .regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, "must be a language code such as 'en', 'de' or 'pt-BR'")
    .optional()
    .describe('the language the summary is written in'),
  root: meetingsRoot,
});

export const meetingTranscriptParams = z.strictObject({
  id: meetingId,
  root: meetingsRoot,
});

export const meetingDeleteParams = z.strictObject({
  id: meetingId,
  root: meetingsRoot,
});

const isoTime = z.string().describe('ISO-8601');

/** One exported transcript segment (§23): what SRT/VTT/TXT/MD exports are made from. */
export const transcriptSegment = z.object({
  index: z.number().int(),
  text: z.string(),
  start_ms: z.number(),
  end_ms: z.number(),
  role: z.string().describe("the speaker; 'unknown' without diarisation"),
});
export type TranscriptSegment = z.output<typeof transcriptSegment>;

/** One line of `transcript.jsonl`. */
export const transcriptLine = transcriptSegment.extend({ at: isoTime.describe('when the segment was persisted') }).meta({ id: 'TranscriptLine' });
export type TranscriptLine = z.output<typeof transcriptLine>;

export const meetingTranscriptResult = z.object({
  id: z.string(),
  title: z.string().nullable(),
  started_at: isoTime.nullable(),
  segments: z.array(transcriptSegment),
});
export type MeetingTranscriptResult = z.output<typeof meetingTranscriptResult>;

export const SUMMARY_KINDS = ['model', 'extractive'] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];
const summaryKind = z.enum(SUMMARY_KINDS).nullable().describe("'model' or 'extractive' (no usable model: the most central sentences); null while there is no summary");

export const meetingSummarizeResult = z.object({
  id: z.string(),
  summary: z.string().nullable(),
  summary_kind: summaryKind,
  summary_reason: z.string().nullable().describe('why the summary is extractive'),
  summary_error: z.string().nullable(),
  template: z.string(),
  language: z.string().nullable(),
  path: z.string().nullable().describe('where the new summary is'),
  previous_path: z.string().nullable().describe('where the summary it replaced was kept (summary.<n>.md), if there was one'),
});
export type MeetingSummarizeResult = z.output<typeof meetingSummarizeResult>;

/** `meeting.summary.progress`: model calls done of those planned so far (a merge level adds calls). */
export const summaryProgress = z.object({ done: z.number().int(), total: z.number().int().describe('model calls planned so far; a merge level adds calls') });
export type SummaryProgress = z.output<typeof summaryProgress>;

export const MEETING_STATUSES = ['recording', 'stopped', 'interrupted', 'failed'] as const;
export type MeetingStatus = (typeof MEETING_STATUSES)[number];
export const MEETING_STOP_REASONS = ['requested', 'owner_disconnected', 'end_of_file', 'daemon_shutdown', 'daemon_restart', 'error'] as const;
export type MeetingStopReason = (typeof MEETING_STOP_REASONS)[number];
export const MEETING_AUDIO_SOURCE_KINDS = ['pcm_push', 'file'] as const;
export type MeetingAudioSourceKind = (typeof MEETING_AUDIO_SOURCE_KINDS)[number];

/** `meeting.stopped`, to the owner: its meeting has left `recording` (stopped by anyone, or ended), so it can stop sending audio. */
export const meetingStoppedParams = z.object({
  meeting_id: z.string(),
  stop_reason: z.enum(MEETING_STOP_REASONS),
  summarize: z.boolean().describe('whether a summary is being written'),
});
export type MeetingStoppedParams = z.output<typeof meetingStoppedParams>;

/** `meeting.json` (§16.4). */
export const meetingMetadata = z
  .object({
    id: z.string(),
    title: z.string().nullable(),
    status: z.enum(MEETING_STATUSES),
    started_at: isoTime,
    ended_at: isoTime.nullable(),
    duration_ms: z.number().nullable().describe("for a file source, the audio's duration"),
    stop_reason: z.enum(MEETING_STOP_REASONS).nullable(),
    segment_count: z.number().int(),
    language: z.string(),
    audio_source_kind: z.enum(MEETING_AUDIO_SOURCE_KINDS),
    persist_audio: z.boolean(),
    summary: z.string().nullable(),
    summary_error: z.string().nullable().describe("why there is no summary, e.g. 'transcript is empty'"),
    summary_kind: summaryKind,
    summary_reason: z.string().nullable().describe('why the summary is extractive'),
    path: z.string().describe("the meeting's directory"),
  })
  .meta({ id: 'MeetingMetadata', description: 'meeting.json: what a meeting is and how it ended.' });
export type MeetingMetadata = z.output<typeof meetingMetadata>;

/** A meeting whose `meeting.json` could not be read: listed as `failed`, with `error` saying why (§16.6). */
export const corruptMeetingEntry = meetingMetadata
  .extend({
    status: z.literal('failed'),
    started_at: isoTime.nullable(),
    language: z.string().nullable(),
    audio_source_kind: z.enum(MEETING_AUDIO_SOURCE_KINDS).nullable(),
    error: z.string().describe('why meeting.json could not be read'),
  })
  .meta({ id: 'CorruptMeetingEntry', description: 'A meeting whose meeting.json could not be read, listed as failed.' });
export type CorruptMeetingEntry = z.output<typeof corruptMeetingEntry>;

/** A listed meeting; a corrupt `meeting.json` is listed as `failed` with `error` saying why (§16.6). */
export const meetingEntry = z.union([meetingMetadata, corruptMeetingEntry]);
export type MeetingEntry = z.output<typeof meetingEntry>;

export const meetingStartResult = z.object({
  id: z.string(),
  title: z.string().nullable(),
  started_at: isoTime,
  status: z.literal('recording'),
  voice_session_id: z.string().nullable().describe('the internal voice session to push audio to; null for a file source'),
  path: z.string(),
});
export type MeetingStartResult = z.output<typeof meetingStartResult>;

const withTranscript = { transcript: z.array(transcriptLine) };
export const meetingRecord = z.union([meetingMetadata.extend(withTranscript), corruptMeetingEntry.extend(withTranscript)]);
export type MeetingRecord = z.output<typeof meetingRecord>;

/** `meeting.stop`'s result: the final metadata and the whole transcript. */
export const meetingStopResult = meetingMetadata.extend(withTranscript);
export type MeetingStopResult = z.output<typeof meetingStopResult>;

export const meetingContract = defineMethods({
  'meeting.start': {
    params: meetingStartParams,
    result: meetingStartResult,
    summary: 'Starts recording a meeting from pushed audio or a WAV file on the daemon host; its voice.event go to this connection only.',
  },
  'meeting.stop': {
    params: meetingStopParams,
    result: meetingStopResult,
    summary: 'Stops a meeting (its owner or a host-role session), optionally summarising it, and answers with its metadata and transcript.',
  },
  'meeting.list': { params: meetingListParams, result: z.object({ meetings: z.array(meetingEntry).describe('newest first, live ones included') }), summary: 'The meetings of a meetings directory.' },
  'meeting.get': { params: meetingGetParams, result: meetingRecord, summary: "A meeting's metadata, summary and transcript." },
  'meeting.summarize': {
    params: meetingSummarizeParams,
    result: meetingSummarizeResult,
    summary: 'Writes a new summary of a stopped meeting from a template (the old one kept), sending meeting.summary.progress.',
  },
  'meeting.transcript': { params: meetingTranscriptParams, result: meetingTranscriptResult, summary: "A meeting's transcript segments, for SRT/VTT/TXT/MD exports." },
  'meeting.delete': { params: meetingDeleteParams, result: z.object({ id: z.string(), deleted: z.literal(true) }), summary: 'Removes a stopped meeting and its files (host role); refused while recording.' },
});

export const meetingNotifications = defineNotifications({
  'meeting.summary.progress': summaryProgress.extend({ meeting_id: z.string() }),
  'meeting.stopped': meetingStoppedParams,
});

/** `mm:ss` (or `h:mm:ss` past an hour) of a transcript offset. */
export function transcriptStamp(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${minutes}:${seconds}` : `${minutes}:${seconds}`;
}

/** One `[mm:ss] text` line per segment: `transcript.md`, `car meeting show` and the summariser's input. */
export function transcriptLines(lines: readonly Pick<TranscriptLine, 'start_ms' | 'text'>[]): string[] {
  return lines.map((line) => `[${transcriptStamp(line.start_ms)}] ${line.text}`);
}
