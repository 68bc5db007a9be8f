import { z } from 'zod';
import { defineMethods, defineNotifications } from './descriptor.js';
import { isAbsolutePath } from './text.js';
import { MAX_CAPTURE_SOURCES, UNLABELLED_ROLE, captureAudioSource, captureDevice, pcmPushSource, speakerRole, transcribeStartParams } from './voice.js';

/** Meetings: recorded, transcribed, persisted and summarised voice sessions (docs/protocol.md#namespace-meeting). */

export const MEETING_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
/** A file source larger than this is refused (docs/protocol.md#meeting-start). */
export const MAX_MEETING_FILE_BYTES = 2 * 1024 ** 3;
export const MAX_MEETING_TITLE_CHARS = 200;

/** A single path segment, so an id can never climb out of the meetings root. */
export const meetingId = z.string().regex(MEETING_ID_PATTERN, "must be 1-64 characters of letters, digits, '.', '_' or '-', starting with a letter or digit");

const absolutePath = z
  .string()
  .min(1, 'must not be empty')
  .max(4096, 'must be at most 4096 characters')
  .refine((path) => !path.includes('\0'), 'must not contain NUL bytes')
  .refine((path) => isAbsolutePath(path), 'must be an absolute path on the daemon host');

/** Where meetings live; `<state root>/meetings` when left out. */
const meetingsRoot = absolutePath.optional().describe('the meetings directory (absolute); <state root>/meetings when left out');

/**
 * A stereo recording with one speaker per channel (a call: me on the left, them on the right):
 * `split_channels` gives each channel its own stream, labelled by `channel_roles`.
 */
const channelSplit = {
  split_channels: z.boolean().default(false),
  /** Default: `left`, `right`. */
  channel_roles: z.array(speakerRole).min(2, 'must give one role per channel (2)').max(2, 'must give one role per channel (2)').optional(),
};
/** The roles of channels 1 and 2 when `channel_roles` names none. */
export const DEFAULT_CHANNEL_ROLES = ['left', 'right'] as const;

const pushSource = pcmPushSource.extend(channelSplit);

const fileSource = z.strictObject({
  kind: z.literal('file'),
  path: absolutePath,
  ...channelSplit,
});

const audioSource = z.discriminatedUnion('kind', [pushSource, fileSource, captureAudioSource], {
  error: (issue) => {
    if (issue.code !== 'invalid_union' || issue.note !== 'No matching discriminator') return undefined;
    const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
    return kind === undefined
      ? "audio_source needs a 'kind': 'pcm_push' (push audio over the connection), 'file' (a WAV file the daemon reads) or 'capture' (the daemon records sound-server sources)"
      : `audio source '${typeof kind === 'string' ? kind : JSON.stringify(kind)}' is not available on this daemon; use 'pcm_push', 'file' or 'capture'`;
  },
});

const language = transcribeStartParams.shape.options.unwrap().shape.language;

const DEFAULT_AUDIO_SOURCE: z.output<typeof pushSource> = { kind: 'pcm_push', sample_rate: 16000, channels: 1, split_channels: false };

export const meetingStartParams = z
  .strictObject({
    id: meetingId.optional().describe("generated as 'mtg-<YYYYMMDD>-<6 hex>' when left out"),
    title: z.string().min(1, 'must not be empty').max(MAX_MEETING_TITLE_CHARS, `must be at most ${MAX_MEETING_TITLE_CHARS} characters`).optional(),
    audio_source: audioSource
      .optional()
      .describe(
        "default: pushed 16 kHz mono, or the capture `sources`. 'pcm_push': push audio to the returned voice_session_id; 'file': a WAV file on the daemon host (at most 2 GiB), read as fast as the engine allows; 'capture': sound-server sources the daemon records, one stream and role each",
      ),
    summarize_on_end: z.boolean().optional().describe('summarise when the meeting ends (default true)'),
    sources: z
      .array(captureDevice)
      .min(1, "must name at least one source: 'mic', 'system' or a name from voice.devices.list")
      .max(MAX_CAPTURE_SOURCES, `must name at most ${MAX_CAPTURE_SOURCES} sources`)
      .optional()
      .describe("upstream's short form of a capture source: ['mic', 'system'] (or source names), each with its default role"),
    language,
    /** Accepted for upstream compatibility; the local speech engine has one model per language. */
    model: z.string().min(1).max(200).optional(),
    persist_audio: z
      .boolean()
      .default(false)
      .describe(
        "keep each stream's recording (16 kHz mono WAV in the meeting's directory) after the meeting; without it the recordings are removed once the final pass has decoded them",
      ),
    root: meetingsRoot,
  })
  .refine((params) => !(params.sources && params.audio_source), {
    message: "give the sources to record either as 'sources' or as audio_source { kind: 'capture', sources }, not both",
    path: ['sources'],
  })
  .transform(({ sources, audio_source, ...rest }) => ({
    ...rest,
    audio_source: audio_source ?? (sources ? { kind: 'capture' as const, sources: sources.map((device) => ({ device })) } : DEFAULT_AUDIO_SOURCE),
  }))
  .refine((params) => params.audio_source.kind === 'capture' || params.audio_source.split_channels || !params.audio_source.channel_roles, {
    message: 'channel_roles labels split channels; set split_channels: true as well',
    path: ['audio_source', 'channel_roles'],
  })
  .refine((params) => params.audio_source.kind !== 'pcm_push' || !params.audio_source.split_channels || params.audio_source.channels === 2, {
    message: 'split_channels needs stereo audio (channels: 2): one stream per channel',
    path: ['audio_source', 'split_channels'],
  });

export const meetingStopParams = z.strictObject({
  meeting_id: meetingId,
  summarize: z.boolean().optional().describe("default: the meeting's summarize_on_end (true unless the start said otherwise)"),
  end_of_input: z
    .boolean()
    .optional()
    .describe("the owner stops because its pushed audio ended (a file or a closed pipe): recorded as 'end_of_file', not 'requested'"),
});

export const meetingListParams = z.strictObject({
  root: meetingsRoot,
});

export const meetingGetParams = z.strictObject({
  meeting_id: meetingId,
  root: meetingsRoot,
});

/** Template names are single path segments: a user template is `<state root>/templates/<name>.md`. */
const templateName = z
  .string()
  .regex(MEETING_ID_PATTERN, 'must be a template name: default, action-items, decisions, standup, or the stem of a .md file in <state root>/templates');

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

/** One exported transcript segment (docs/protocol.md#meeting-transcript): what SRT/VTT/TXT/MD exports are made from. */
export const transcriptSegment = z.object({
  index: z.number().int(),
  text: z.string(),
  start_ms: z.number(),
  end_ms: z.number(),
  role: z.string().describe("who speaks: the stream's role (`mic`, `system`, a label), or 'unknown' for unlabelled pushed audio"),
});
export type TranscriptSegment = z.output<typeof transcriptSegment>;

export const meetingDeleteResult = z.object({
  id: z.string(),
  deleted: z.literal(true),
  facts_deleted: z.number().int().describe('the memory facts its transcript had fed, deleted with it'),
});
export type MeetingDeleteResult = z.output<typeof meetingDeleteResult>;

/** One line of `transcript.jsonl`. */
export const transcriptLine = transcriptSegment.extend({ at: isoTime.describe('when the segment was persisted') }).meta({ id: 'TranscriptLine' });
export type TranscriptLine = z.output<typeof transcriptLine>;

export const meetingTranscriptResult = z.object({
  id: z.string(),
  title: z.string().nullable(),
  started_at: isoTime.nullable(),
  summary: z.string().nullable().describe('the current summary (Markdown), so a Markdown export can lead with it'),
  segments: z.array(transcriptSegment),
});
export type MeetingTranscriptResult = z.output<typeof meetingTranscriptResult>;

export const SUMMARY_KINDS = ['model', 'extractive'] as const;
export type SummaryKind = (typeof SUMMARY_KINDS)[number];
const summaryKind = z
  .enum(SUMMARY_KINDS)
  .nullable()
  .describe("'model' or 'extractive' (no usable model: the most central sentences); null while there is no summary");

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
export const MEETING_STOP_REASONS = ['requested', 'owner_disconnected', 'end_of_file', 'device_lost', 'daemon_shutdown', 'daemon_restart', 'error'] as const;
/** `device_lost`: a captured source vanished (unplugged, or the sound server stopped). */
export type MeetingStopReason = (typeof MEETING_STOP_REASONS)[number];
export const MEETING_AUDIO_SOURCE_KINDS = ['pcm_push', 'file', 'capture'] as const;
export type MeetingAudioSourceKind = (typeof MEETING_AUDIO_SOURCE_KINDS)[number];
/**
 * Which transcript a meeting holds (issue 22): `live`, decoded while people talked (until the
 * final pass over the recorded audio replaces it at stop, and for good if the daemon died
 * first), or `final`, each stream's whole recording decoded in long windows as a batch decoder
 * would (a file meeting's from the start: the file is read as a recording).
 */
export const TRANSCRIPT_KINDS = ['live', 'final'] as const;
export type TranscriptKind = (typeof TRANSCRIPT_KINDS)[number];

/** `meeting.stopped`, to the owner: its meeting has left `recording` (stopped by anyone, or ended), so it can stop sending audio. */
export const meetingStoppedParams = z.object({
  meeting_id: z.string(),
  stop_reason: z.enum(MEETING_STOP_REASONS),
  summarize: z.boolean().describe('whether a summary is being written'),
  detail: z.string().optional().describe('why, in words, when the daemon stopped it (device_lost: which source vanished)'),
});
export type MeetingStoppedParams = z.output<typeof meetingStoppedParams>;

/** One of a meeting's streams when it has several (captured sources, or split channels): who speaks on what. */
export const meetingSource = z
  .object({
    role: z.string(),
    device: z.string().describe("the sound-server source recorded, or 'channel 1' / 'channel 2' of a split recording"),
  })
  .meta({ id: 'MeetingSource' });
export type MeetingSource = z.output<typeof meetingSource>;

/** `meeting.json` (docs/protocol.md#meetings). */
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
    sources: z.array(meetingSource).describe('the streams and their roles; empty for a meeting of one unlabelled stream'),
    transcript_kind: z
      .enum(TRANSCRIPT_KINDS)
      .describe(
        "which transcript the meeting holds: 'live' (decoded while people talked; replaced at stop, kept after a crash) or 'final' (each stream's whole recording decoded in long windows)",
      ),
    summary: z.string().nullable(),
    summary_error: z.string().nullable().describe("why there is no summary, e.g. 'transcript is empty'"),
    summary_kind: summaryKind,
    summary_reason: z.string().nullable().describe('why the summary is extractive'),
    path: z.string().describe("the meeting's directory"),
    memory_namespace: z
      .string()
      .nullable()
      .optional()
      .describe(
        "the memory namespace its transcript went to (null: the recording session's own graph, or an embedder's shared one); absent for meetings recorded before it was kept",
      ),
  })
  .meta({ id: 'MeetingMetadata', description: 'meeting.json: what a meeting is and how it ended.' });
export type MeetingMetadata = z.output<typeof meetingMetadata>;

/** A meeting whose `meeting.json` could not be read: listed as `failed`, with `error` saying why (docs/protocol.md#meetings). */
export const corruptMeetingEntry = meetingMetadata
  .extend({
    status: z.literal('failed'),
    started_at: isoTime.nullable(),
    language: z.string().nullable(),
    audio_source_kind: z.enum(MEETING_AUDIO_SOURCE_KINDS).nullable(),
    transcript_kind: z.enum(TRANSCRIPT_KINDS).nullable(),
    error: z.string().describe('why meeting.json could not be read'),
  })
  .meta({ id: 'CorruptMeetingEntry', description: 'A meeting whose meeting.json could not be read, listed as failed.' });
export type CorruptMeetingEntry = z.output<typeof corruptMeetingEntry>;

/** A listed meeting; a corrupt `meeting.json` is listed as `failed` with `error` saying why (docs/protocol.md#meetings). */
export const meetingEntry = z.union([meetingMetadata, corruptMeetingEntry]);
export type MeetingEntry = z.output<typeof meetingEntry>;

export const meetingStartResult = z.object({
  id: z.string(),
  title: z.string().nullable(),
  started_at: isoTime,
  status: z.literal('recording'),
  voice_session_id: z
    .string()
    .nullable()
    .describe('the internal voice session to push audio to (the first, for split channels); null when the daemon reads or records the audio itself'),
  sources: z
    .array(meetingSource.extend({ voice_session_id: z.string() }))
    .describe("each stream's voice session; for split channels, push channel n's mono audio to the n-th"),
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
    summary:
      'Starts recording a meeting from pushed audio, a WAV file on the daemon host, or sound-server sources the daemon records; its voice.event go to this connection only.',
  },
  'meeting.stop': {
    params: meetingStopParams,
    result: meetingStopResult,
    summary: 'Stops a meeting (its owner or a host-role session), optionally summarising it, and answers with its metadata and transcript.',
  },
  'meeting.list': {
    params: meetingListParams,
    result: z.object({ meetings: z.array(meetingEntry).describe('newest first, live ones included') }),
    summary: 'The meetings of a meetings directory.',
  },
  'meeting.get': { params: meetingGetParams, result: meetingRecord, summary: "A meeting's metadata, summary and transcript." },
  'meeting.summarize': {
    params: meetingSummarizeParams,
    result: meetingSummarizeResult,
    summary: 'Writes a new summary of a stopped meeting from a template (the old one kept), sending meeting.summary.progress.',
  },
  'meeting.transcript': {
    params: meetingTranscriptParams,
    result: meetingTranscriptResult,
    summary: "A meeting's transcript segments and current summary, for SRT/VTT/TXT/MD exports.",
  },
  'meeting.delete': {
    params: meetingDeleteParams,
    result: meetingDeleteResult,
    summary: 'Removes a stopped meeting, its files and the memory facts its transcript fed (host role); refused while recording.',
  },
});

export const meetingNotifications = defineNotifications({
  'meeting.summary.progress': summaryProgress.extend({ meeting_id: z.string() }),
  'meeting.stopped': meetingStoppedParams,
});

/** `mm:ss` (or `h:mm:ss` past an hour) of a transcript offset. */
export function transcriptStamp(ms: number): string {
  // A corrupt time (not a finite number) reads as 00:00, never NaN:NaN.
  const total = Number.isFinite(ms) ? Math.max(0, Math.floor(ms / 1000)) : 0;
  const hours = Math.floor(total / 3600);
  const minutes = String(Math.floor((total % 3600) / 60)).padStart(2, '0');
  const seconds = String(total % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${minutes}:${seconds}` : `${minutes}:${seconds}`;
}

/** `role: ` before a line whose speaker is known; nothing for unlabelled audio. */
export const speakerPrefix = (role: string | undefined): string => (role && role !== UNLABELLED_ROLE ? `${role}: ` : '');

/** One `[mm:ss] role: text` line per segment: `transcript.md`, `car meeting show` and the summariser's input. */
export function transcriptLines(lines: readonly (Pick<TranscriptLine, 'start_ms' | 'text'> & { role?: string })[]): string[] {
  return lines.map((line) => `[${transcriptStamp(line.start_ms)}] ${speakerPrefix(line.role)}${line.text}`);
}

/** Streams are decoded side by side, so lines are saved in the order they were recognised: this is the order they were spoken. */
export function inTimeOrder<Line extends Pick<TranscriptLine, 'start_ms' | 'index'>>(lines: readonly Line[]): Line[] {
  return [...lines].sort((a, b) => a.start_ms - b.start_ms || a.index - b.index);
}
