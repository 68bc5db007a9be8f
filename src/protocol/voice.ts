import { z } from 'zod';
import { defineMethods, defineNotifications } from './descriptor.js';
import { emptyParams } from './core.js';

/** Voice: streaming speech-to-text sessions, their events and binary audio frames (docs/protocol.md#namespace-voice). */

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48000;
export const DEFAULT_SAMPLE_RATE = 16000;
/** The largest chunk one push or binary frame may carry, after base64 decoding (docs/protocol.md#voice-transcribe_stream-push). */
export const MAX_PCM_CHUNK_BYTES = 1024 * 1024;
export const BYTES_PER_SAMPLE = 2;

// Binary frames (docs/protocol.md#binary-frames): 26-byte header, then s16le PCM at the session's rate and channels.
export const VOICE_FRAME_HEADER_BYTES = 26;
export const VOICE_FRAME_PCM = 0x01;

export const voiceSessionId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters (a UUID without dashes)');

export const pcmPushSource = z.strictObject({
  kind: z.literal('pcm_push'),
  sample_rate: z
    .number()
    .int('must be a whole number of Hz')
    .min(MIN_SAMPLE_RATE, `must be from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz`)
    .max(MAX_SAMPLE_RATE, `must be from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz`)
    .default(DEFAULT_SAMPLE_RATE),
  channels: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 (mono) or 2 (stereo)' }).default(1),
});

/** The default microphone and the monitor of the default output (what the speakers play), as `device` names. */
export const MIC_DEVICE = 'mic';
export const SYSTEM_DEVICE = 'system';
/** A meeting records at most this many sources at once, each with its own decoder. */
export const MAX_CAPTURE_SOURCES = 4;
export const MAX_ROLE_CHARS = 40;

/** Who speaks on a source or channel (`me`, `them`, `alice`): shown before each of its transcript lines. */
export const speakerRole = z
  .string()
  .min(1, 'must not be empty')
  .max(MAX_ROLE_CHARS, `must be at most ${MAX_ROLE_CHARS} characters`)
  .regex(/^[^\p{Cc}:]+$/u, "must be a label without control characters or ':' (e.g. 'me', 'them')")
  .refine((role) => role.trim() === role, 'must not start or end with spaces');

/** `mic`, `system`, or a source's name as `voice.devices.list` gives it. */
export const captureDevice = z
  .string()
  .min(1, 'must not be empty')
  .max(256, 'must be at most 256 characters')
  .regex(/^[^\p{Cc}]+$/u, 'must not contain control characters');

const captureSourceSpec = z.strictObject({
  device: captureDevice,
  /** Default: `mic` for an input, `system` for a monitor. */
  role: speakerRole.optional(),
});

/** Audio the daemon records itself through the desktop's sound server (PulseAudio, or PipeWire's pulse service). */
export const captureAudioSource = z.strictObject({
  kind: z.literal('capture'),
  sources: z
    .array(captureSourceSpec)
    .min(1, "must name at least one source: 'mic', 'system' or a name from voice.devices.list")
    .max(MAX_CAPTURE_SOURCES, `must name at most ${MAX_CAPTURE_SOURCES} sources`),
});

export type CaptureSourceSpec = z.output<typeof captureSourceSpec>;

/** A voice session has one decoder, so it records one source; a meeting records several (one stream each). */
const oneCaptureSource = captureAudioSource.extend({
  sources: captureAudioSource.shape.sources.max(
    1,
    'a voice session records one source; to record several at once, start a meeting (meeting.start), which gives each its own stream',
  ),
});

const voiceAudioSource = z.discriminatedUnion('kind', [pcmPushSource, oneCaptureSource], {
  error: (issue) => {
    if (issue.code !== 'invalid_union' || issue.note !== 'No matching discriminator') return undefined;
    const kind = (issue.input as { kind?: unknown } | undefined)?.kind;
    return kind === undefined
      ? "audio_source needs a 'kind': 'pcm_push' (push audio over the connection) or 'capture' (the daemon records a sound-server source)"
      : `audio source '${typeof kind === 'string' ? kind : JSON.stringify(kind)}' is not available on this daemon; use 'pcm_push' or 'capture'`;
  },
});

/** How finals are windowed (issue 22): `live` follows the speaker, `recording` decodes a whole recording the way a batch decoder does. */
export const TRANSCRIPTION_MODES = ['live', 'recording'] as const;
export type TranscriptionMode = (typeof TRANSCRIPTION_MODES)[number];

export const transcribeStartParams = z.strictObject({
  session_id: voiceSessionId.optional().describe('generated when left out; binary frames carry it as 16 raw bytes'),
  audio_source: voiceAudioSource
    .default({ kind: 'pcm_push', sample_rate: DEFAULT_SAMPLE_RATE, channels: 1 })
    .describe("'pcm_push': s16le PCM the client pushes, at this rate and channel count; 'capture': one sound-server source the daemon records"),
  options: z
    .strictObject({
      provider: z.string().min(1).max(64).optional().describe('an id from voice.providers.list'),
      language: z
        .string()
        .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP-47 language tag such as 'en' or 'en-US'")
        .optional(),
      partials: z.boolean().optional(),
      mode: z
        .enum(TRANSCRIPTION_MODES, { error: "must be 'live' or 'recording'" })
        .optional()
        .describe(
          "'live' (default): finals follow the speaker, sentence by sentence; 'recording': the audio is a whole recording sent as fast as it decodes (a file), so finals come from long windows cut at the longest pauses (partials, if asked for, only show progress)",
        ),
      /** Upstream voice-turn prompting; accepted for compatibility and ignored. */
      voice_prompt_overlay: z.unknown().optional(),
    })
    .optional(),
});

export const transcribePushParams = z.strictObject({
  session_id: voiceSessionId,
  pcm_b64: z.base64('must be standard base64 (RFC 4648, with padding) of 16-bit little-endian PCM'),
});

export const transcribeStopParams = z.strictObject({
  session_id: voiceSessionId,
});

const segmentIndex = z.number().int().describe('the segment within the voice session, from 0');

export const voiceEvent = z
  .discriminatedUnion('type', [
    z.object({ type: z.literal('speech_start'), at_ms: z.number().describe('offset in the audio') }).describe('the detector heard speech begin'),
    z.object({ type: z.literal('speech_end'), at_ms: z.number() }).describe('the detector heard speech end'),
    z
      .object({ type: z.literal('partial'), text: z.string(), segment_index: segmentIndex })
      .describe('the current hypothesis for the open segment; later partials and the final supersede it'),
    z
      .object({
        type: z.literal('transcript'),
        text: z.string(),
        duration_ms: z.number(),
        role: z.string().describe("who speaks: the source's or channel's role (`mic`, `system`, a label), or 'unknown' for pushed audio nobody labelled"),
        segment_index: segmentIndex,
        start_ms: z.number(),
        end_ms: z.number(),
      })
      .describe('a final segment: persisted and, for meetings, added to memory'),
    z.object({ type: z.literal('error'), message: z.string(), fatal: z.boolean().describe('true: the voice session was stopped') }),
  ])
  .meta({ id: 'VoiceEvent' });
export type VoiceEvent = z.output<typeof voiceEvent>;

export const voiceEventParams = z.object({
  session_id: z.string().describe('the voice session'),
  meeting_id: z.string().optional().describe('set when the voice session records a meeting'),
  event: voiceEvent,
});
export type VoiceEventParams = z.output<typeof voiceEventParams>;

const channels = z.union([z.literal(1), z.literal(2)]);

/** The role of transcripts from pushed audio nobody labelled (upstream's value). */
export const UNLABELLED_ROLE = 'unknown';

/** `voice.transcribe_stream.start`'s result. */
/** One source of the sound server, as `voice.devices.list` returns it. */
export const captureDeviceInfo = z
  .object({
    name: z.string().describe("what `device` takes (PulseAudio's source name)"),
    description: z.string(),
    kind: z.enum(['input', 'monitor']).describe("'monitor': what an output plays (the other side of a call); 'input': a microphone or line in"),
    default: z.boolean().describe("the default input (what 'mic' records) or the default output's monitor (what 'system' records)"),
  })
  .meta({ id: 'CaptureDevice' });
export type CaptureDevice = z.output<typeof captureDeviceInfo>;

/** A source being recorded, and the role its transcripts carry. */
export const capturedSource = captureDeviceInfo
  .omit({ default: true })
  .extend({ role: z.string().describe('the role its transcript lines carry') })
  .meta({ id: 'CapturedSource' });
export type CapturedSource = z.output<typeof capturedSource>;

export const voiceSessionInfo = z.object({
  session_id: z.string().describe('32 lowercase hex digits: the UUID binary frames carry'),
  status: z.literal('started'),
  provider: z.string(),
  sample_rate: z.number().int(),
  channels,
  binary_frame_type: z.literal(VOICE_FRAME_PCM).describe('the type byte of inbound PCM binary frames'),
  capture: capturedSource.optional().describe('the source the daemon records, for a capture session (which takes no pushed audio)'),
});
export type VoiceSessionInfo = z.output<typeof voiceSessionInfo>;

export const voicePushResult = z.object({
  session_id: z.string(),
  accepted_bytes: z.number().int(),
  total_bytes: z.number().int().describe('bytes received by the voice session so far'),
});
export type VoicePushResult = z.output<typeof voicePushResult>;

export const voiceSegment = z.object({ index: z.number().int(), text: z.string(), start_ms: z.number(), end_ms: z.number() });
export type VoiceSegment = z.output<typeof voiceSegment>;

export const voiceStopResult = z.object({
  session_id: z.string(),
  status: z.literal('stopped'),
  text: z.string().describe('the final segments joined'),
  segments: z.array(voiceSegment),
  duration_ms: z.number(),
});
export type VoiceStopResult = z.output<typeof voiceStopResult>;

/** One row of `voice.sessions.list`. */
export const voiceSessionEntry = z.object({
  session_id: z.string(),
  status: z.enum(['running', 'stopping']),
  provider: z.string(),
  sample_rate: z.number().int(),
  channels,
  started_at: z.string(),
  bytes_received: z.number().int(),
  owner_session: z.string(),
  meeting_id: z.string().nullable(),
  is_mine: z.boolean(),
});
export type VoiceSessionEntry = z.output<typeof voiceSessionEntry>;

/** One row of `voice.providers.list`; an unavailable provider says why (`reason`) and how to fix it (`hint`). */
export const voiceProviderInfo = z.object({
  id: z.string().describe('what options.provider takes'),
  kind: z.enum(['stt', 'tts']),
  available: z.boolean(),
  description: z.string(),
  reason: z.string().optional().describe('why it is not available'),
  warning: z.string().optional().describe('what limits a provider that runs (e.g. a whisper model without real weights: it loads, but transcribes nothing)'),
  hint: z.string().optional().describe('how to make it available'),
});
export type VoiceProviderInfo = z.output<typeof voiceProviderInfo>;

const ID_OFFSET = 1;
const SEQ_OFFSET = 17;
const FORMAT_OFFSET = 25;

/** Builds an inbound PCM frame for a voice session. */
export function encodeVoiceFrame(sessionId: string, seq: bigint | number, pcm: Uint8Array): Uint8Array {
  const frame = new Uint8Array(VOICE_FRAME_HEADER_BYTES + pcm.length);
  frame[0] = VOICE_FRAME_PCM;
  for (let i = 0; i < 16; i++) frame[ID_OFFSET + i] = parseInt(sessionId.slice(2 * i, 2 * i + 2), 16);
  new DataView(frame.buffer).setBigUint64(SEQ_OFFSET, BigInt(seq), true);
  frame[FORMAT_OFFSET] = 0;
  frame.set(pcm, VOICE_FRAME_HEADER_BYTES);
  return frame;
}

export type DecodedVoiceFrame<Bytes extends Uint8Array = Uint8Array> =
  /** Too short to name a session. */
  | { complete: false; sessionId: null }
  /** Names a session but the header is cut short. */
  | { complete: false; sessionId: string }
  | { complete: true; sessionId: string; type: number; seq: bigint; payload: Bytes };

/** Reads a frame's header; the payload is a view of the same bytes (a Buffer when given one). */
export function decodeVoiceFrame<Bytes extends Uint8Array>(frame: Bytes): DecodedVoiceFrame<Bytes> {
  if (frame.length < SEQ_OFFSET) return { complete: false, sessionId: null };
  let sessionId = '';
  for (let i = ID_OFFSET; i < SEQ_OFFSET; i++) sessionId += frame[i]!.toString(16).padStart(2, '0');
  if (frame.length < VOICE_FRAME_HEADER_BYTES) return { complete: false, sessionId };
  const seq = new DataView(frame.buffer, frame.byteOffset, frame.byteLength).getBigUint64(SEQ_OFFSET, true);
  return { complete: true, sessionId, type: frame[0]!, seq, payload: frame.subarray(VOICE_FRAME_HEADER_BYTES) as Bytes };
}

export const voiceContract = defineMethods({
  'voice.transcribe_stream.start': {
    params: transcribeStartParams,
    result: voiceSessionInfo,
    summary: 'Opens a live speech-to-text session owned by this connection; audio comes by push or binary frames, voice.event goes to the owner only.',
  },
  'voice.transcribe_stream.push': {
    params: transcribePushParams,
    result: voicePushResult,
    summary: 'Sends a chunk of base64 s16le PCM (at most 1 MiB decoded); binary frames are cheaper.',
  },
  'voice.transcribe_stream.stop': {
    params: transcribeStopParams,
    result: voiceStopResult,
    summary: 'Flushes the audio, sends the remaining final events, and answers with the whole transcript.',
  },
  'voice.sessions.list': { params: emptyParams, result: z.array(voiceSessionEntry), summary: 'Every voice session of the daemon.' },
  'voice.providers.list': { params: emptyParams, result: z.array(voiceProviderInfo), summary: 'The speech engines and whether each can run here.' },
  'voice.devices.list': {
    params: emptyParams,
    result: z.array(captureDeviceInfo),
    summary: "The sound server's sources (microphones and outputs' monitors) that capture sources can record; the defaults marked.",
  },
});

export const voiceNotifications = defineNotifications({
  'voice.event': voiceEventParams,
});
