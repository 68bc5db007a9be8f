import { z } from 'zod';
import { carries, defineMethods, defineNotifications, returns } from './descriptor.js';
import { isAbsolutePath } from './text.js';
import { MAX_CAPTURE_SOURCES, UNLABELLED_ROLE, captureAudioSource, captureDevice, pcmPushSource, speakerRole, transcribeStartParams } from './voice.js';

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
      : `audio source '${String(kind)}' is not available on this daemon; use 'pcm_push', 'file' or 'capture'`;
  },
});

const language = transcribeStartParams.shape.options.unwrap().shape.language;

const DEFAULT_AUDIO_SOURCE: z.output<typeof pushSource> = { kind: 'pcm_push', sample_rate: 16000, channels: 1, split_channels: false };

export const meetingStartParams = z
  .strictObject({
    id: meetingId.optional(),
    title: z.string().min(1, 'must not be empty').max(MAX_MEETING_TITLE_CHARS, `must be at most ${MAX_MEETING_TITLE_CHARS} characters`).optional(),
    /** Default: pushed 16 kHz mono; or the capture `sources` name. */
    audio_source: audioSource.optional(),
    summarize_on_end: z.boolean().optional(),
    /** Upstream's short form of a capture source: `["mic", "system"]` (or source names), each with its default role. */
    sources: z.array(captureDevice).min(1, "must name at least one source: 'mic', 'system' or a name from voice.devices.list").max(MAX_CAPTURE_SOURCES, `must name at most ${MAX_CAPTURE_SOURCES} sources`).optional(),
    language,
    /** Accepted for upstream compatibility; the local speech engine has one model per language. */
    model: z.string().min(1).max(200).optional(),
    persist_audio: z.boolean().default(false),
    root: absolutePath.optional(),
  })
  .refine((params) => !(params.sources && params.audio_source), {
    message: "give the sources to record either as 'sources' or as audio_source { kind: 'capture', sources }, not both",
    path: ['sources'],
  })
  .transform(({ sources, audio_source, ...rest }) => ({
    ...rest,
    audio_source: audio_source ?? (sources ? { kind: 'capture' as const, sources: sources.map((device) => ({ device })) } : DEFAULT_AUDIO_SOURCE),
  }))
  .refine((params) => !params.persist_audio || params.audio_source.kind === 'file', {
    message: "persist_audio is only available for 'file' sources on this daemon; pushed and captured audio is not kept",
    path: ['persist_audio'],
  })
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
  /** Why, in words, when the daemon stopped it (`device_lost`: which source vanished). */
  detail?: string;
}

/* ---- end of issue 14 additions ---- */

export type SummaryKind = 'model' | 'extractive';

export type MeetingStatus = 'recording' | 'stopped' | 'interrupted' | 'failed';
export const MEETING_STOP_REASONS = ['requested', 'owner_disconnected', 'end_of_file', 'device_lost', 'daemon_shutdown', 'daemon_restart', 'error'] as const;
/** `device_lost`: a captured source vanished (unplugged, or the sound server stopped). */
export type MeetingStopReason = (typeof MEETING_STOP_REASONS)[number];
export const MEETING_AUDIO_SOURCE_KINDS = ['pcm_push', 'file', 'capture'] as const;
export type MeetingAudioSourceKind = (typeof MEETING_AUDIO_SOURCE_KINDS)[number];

/** One of a meeting's streams when it has several (captured sources, or split channels): who speaks on what. */
export interface MeetingSource {
  role: string;
  /** The sound-server source recorded, or `channel 1` / `channel 2` of a split recording. */
  device: string;
}

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
  /** The streams and their roles; empty for a meeting of one unlabelled stream. */
  sources: MeetingSource[];
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
  /** The internal voice session to push audio to (the first, for split channels); `null` when the daemon reads or records the audio itself. */
  voice_session_id: string | null;
  /** Each stream's voice session; for split channels, push channel n's mono audio to the n-th. */
  sources: (MeetingSource & { voice_session_id: string })[];
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
