import { z } from 'zod';
import { carries, defineMethods, defineNotifications, returns } from './descriptor.js';
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
    id: meetingId.optional(),
    title: z.string().min(1, 'must not be empty').max(MAX_MEETING_TITLE_CHARS, `must be at most ${MAX_MEETING_TITLE_CHARS} characters`).optional(),
    audio_source: audioSource.default({ kind: 'pcm_push', sample_rate: 16000, channels: 1 }),
    summarize_on_end: z.boolean().optional(),
    sources: z.array(captureSource).max(8).optional(),
    language,
    /** Accepted for upstream compatibility; the local speech engine has one model per language. */
    model: z.string().min(1).max(200).optional(),
    /** Keep `audio.wav` (16 kHz mono) after the meeting; pushed audio is recorded for the final pass either way, and removed after it unless this is set. */
    persist_audio: z.boolean().default(false),
    root: absolutePath.optional(),
  });

export const meetingStopParams = z.strictObject({
  meeting_id: meetingId,
  /** Default: the meeting's `summarize_on_end` (true unless the start said otherwise). */
  summarize: z.boolean().optional(),
});

export const meetingListParams = z.strictObject({
  root: absolutePath.optional(),
});

export const meetingGetParams = z.strictObject({
  meeting_id: meetingId,
  root: absolutePath.optional(),
});

/** Template names are single path segments: a user template is `<state root>/templates/<name>.md`. */
const templateName = z.string().regex(MEETING_ID_PATTERN, "must be a template name: default, action-items, decisions, standup, or the stem of a .md file in <state root>/templates");

/* ---- Added by issue 14 (§23 "Meeting summary", "Meeting export and removal"): kept together for the descriptor conversion. ---- */

export const meetingSummarizeParams = z.strictObject({
  id: meetingId,
  template: templateName.default('default'),
  /** A BCP-47-like language code the model writes in. */
  language: z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$/, "must be a language code such as 'en', 'de' or 'pt-BR'").optional(),
  root: absolutePath.optional(),
});

export const meetingTranscriptParams = z.strictObject({
  id: meetingId,
  root: absolutePath.optional(),
});

export const meetingDeleteParams = z.strictObject({
  id: meetingId,
  root: absolutePath.optional(),
});

/** One exported transcript segment (§23): what SRT/VTT/TXT/MD exports are made from. */
export interface TranscriptSegment {
  index: number;
  text: string;
  start_ms: number;
  end_ms: number;
  role: string;
}

export interface MeetingTranscriptResult {
  id: string;
  title: string | null;
  started_at: string | null;
  segments: TranscriptSegment[];
}

export interface MeetingSummarizeResult {
  id: string;
  summary: string | null;
  summary_kind: SummaryKind | null;
  summary_reason: string | null;
  summary_error: string | null;
  template: string;
  language: string | null;
  /** Where the new summary is, and where the one it replaced was kept (`summary.<n>.md`), if there was one. */
  path: string | null;
  previous_path: string | null;
}

/** `meeting.summary.progress`: model calls done of those planned so far (a merge level adds calls). */
export interface SummaryProgress {
  done: number;
  total: number;
}

/** `meeting.stopped`, to the owner: its meeting has left `recording` (stopped by anyone, or ended), so it can stop sending audio. */
export interface MeetingStoppedParams {
  meeting_id: string;
  stop_reason: MeetingStopReason;
  summarize: boolean;
}

/* ---- end of issue 14 additions ---- */

export type SummaryKind = 'model' | 'extractive';

export type MeetingStatus = 'recording' | 'stopped' | 'interrupted' | 'failed';
export type MeetingStopReason = 'requested' | 'owner_disconnected' | 'end_of_file' | 'daemon_shutdown' | 'daemon_restart' | 'error';
export type MeetingAudioSourceKind = 'pcm_push' | 'file';
/**
 * Which transcript a meeting holds (issue 22): `live`, decoded while people talked (until a
 * pushed meeting's final pass replaces it, and for good if the daemon died first), or
 * `final`, decoded over the whole recording in long windows (a file meeting's from the start).
 */
export type TranscriptKind = 'live' | 'final';

/** `meeting.json` (§16.4). */
export interface MeetingMetadata {
  id: string;
  title: string | null;
  status: MeetingStatus;
  started_at: string;
  ended_at: string | null;
  duration_ms: number | null;
  stop_reason: MeetingStopReason | null;
  segment_count: number;
  language: string;
  audio_source_kind: MeetingAudioSourceKind;
  persist_audio: boolean;
  transcript_kind: TranscriptKind;
  summary: string | null;
  summary_error: string | null;
  /** `model` or `extractive` (§23); `null` while there is no summary. */
  summary_kind: SummaryKind | null;
  /** Why the summary is extractive. */
  summary_reason: string | null;
  path: string;
}

/** A listed meeting; a corrupt `meeting.json` is listed as `failed` with `error` saying why (§16.6). */
export type MeetingEntry = MeetingMetadata | CorruptMeetingEntry;

export interface CorruptMeetingEntry extends Omit<MeetingMetadata, 'started_at' | 'language' | 'audio_source_kind'> {
  status: 'failed';
  started_at: string | null;
  language: string | null;
  audio_source_kind: MeetingAudioSourceKind | null;
  error: string;
}

/** One line of `transcript.jsonl`. */
export interface TranscriptLine {
  index: number;
  text: string;
  start_ms: number;
  end_ms: number;
  role: string;
  /** When the segment was persisted (ISO-8601). */
  at: string;
}

export interface MeetingStartResult {
  id: string;
  title: string | null;
  started_at: string;
  status: 'recording';
  /** The internal voice session to push audio to; `null` for a `file` source. */
  voice_session_id: string | null;
  path: string;
}

export type MeetingRecord = MeetingEntry & { transcript: TranscriptLine[] };

/** `meeting.stop`'s result: the final metadata and the whole transcript. */
export type MeetingStopResult = MeetingMetadata & { transcript: TranscriptLine[] };

export const meetingContract = defineMethods({
  'meeting.start': { params: meetingStartParams, result: returns<MeetingStartResult>() },
  'meeting.stop': { params: meetingStopParams, result: returns<MeetingStopResult>() },
  'meeting.list': { params: meetingListParams, result: returns<{ meetings: MeetingEntry[] }>() },
  'meeting.get': { params: meetingGetParams, result: returns<MeetingRecord>() },
  'meeting.summarize': { params: meetingSummarizeParams, result: returns<MeetingSummarizeResult>() },
  'meeting.transcript': { params: meetingTranscriptParams, result: returns<MeetingTranscriptResult>() },
  'meeting.delete': { params: meetingDeleteParams, result: returns<{ id: string; deleted: true }>() },
});

export const meetingNotifications = defineNotifications({
  'meeting.summary.progress': carries<SummaryProgress & { meeting_id: string }>(),
  'meeting.stopped': carries<MeetingStoppedParams>(),
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
