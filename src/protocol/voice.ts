import { z } from 'zod';
import { carries, defineMethods, defineNotifications, returns } from './descriptor.js';
import { emptyParams } from './core.js';

/** Voice: streaming speech-to-text sessions, their events and binary audio frames (PROTOCOL.md §15). */

export const MIN_SAMPLE_RATE = 8000;
export const MAX_SAMPLE_RATE = 48000;
export const DEFAULT_SAMPLE_RATE = 16000;
/** §15.3: the largest chunk one push or binary frame may carry, after base64 decoding. */
export const MAX_PCM_CHUNK_BYTES = 1024 * 1024;
export const BYTES_PER_SAMPLE = 2;

export const voiceSessionId = z.string().regex(/^[0-9a-f]{32}$/, 'must be 32 lowercase hex characters (a UUID without dashes)');

const pcmPushSource = z.strictObject({
  kind: z.literal('pcm_push', {
    error: (issue) => (issue.input === undefined ? "is required; use 'pcm_push'" : `audio source '${String(issue.input)}' is not available on this daemon; use 'pcm_push'`),
  }),
  sample_rate: z
    .number()
    .int('must be a whole number of Hz')
    .min(MIN_SAMPLE_RATE, `must be from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz`)
    .max(MAX_SAMPLE_RATE, `must be from ${MIN_SAMPLE_RATE} to ${MAX_SAMPLE_RATE} Hz`)
    .default(DEFAULT_SAMPLE_RATE),
  channels: z.union([z.literal(1), z.literal(2)], { error: 'must be 1 (mono) or 2 (stereo)' }).default(1),
});

export const transcribeStartParams = z.strictObject({
  session_id: voiceSessionId.optional(),
  audio_source: pcmPushSource.default({ kind: 'pcm_push', sample_rate: DEFAULT_SAMPLE_RATE, channels: 1 }),
  options: z
    .strictObject({
      provider: z.string().min(1).max(64).optional(),
      language: z
        .string()
        .regex(/^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$/, "must be a BCP-47 language tag such as 'en' or 'en-US'")
        .optional(),
      partials: z.boolean().optional(),
      /**
       * `recording`: the audio is a whole recording sent as fast as it decodes (a file), so
       * finals come from long windows cut at the longest pauses (partials, if asked for, show progress);
       * `live` (default): finals follow the speaker, sentence by sentence.
       */
      mode: z.enum(['live', 'recording'], { error: "must be 'live' or 'recording'" }).optional(),
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

export type VoiceEvent =
  | { type: 'speech_start'; at_ms: number }
  | { type: 'speech_end'; at_ms: number }
  | { type: 'partial'; text: string; segment_index: number }
  | { type: 'transcript'; text: string; duration_ms: number; role: 'unknown'; segment_index: number; start_ms: number; end_ms: number }
  | { type: 'error'; message: string; fatal: boolean };

export interface VoiceEventParams {
  session_id: string;
  meeting_id?: string;
  event: VoiceEvent;
}

/** `voice.transcribe_stream.start`'s result. */
export interface VoiceSessionInfo {
  session_id: string;
  status: 'started';
  provider: string;
  sample_rate: number;
  channels: 1 | 2;
  binary_frame_type: typeof VOICE_FRAME_PCM;
}

export interface VoicePushResult {
  session_id: string;
  accepted_bytes: number;
  total_bytes: number;
}

export interface VoiceSegment {
  index: number;
  text: string;
  start_ms: number;
  end_ms: number;
}

export interface VoiceStopResult {
  session_id: string;
  status: 'stopped';
  text: string;
  segments: VoiceSegment[];
  duration_ms: number;
}

/** One row of `voice.sessions.list`. */
export interface VoiceSessionEntry {
  session_id: string;
  status: 'running' | 'stopping';
  provider: string;
  sample_rate: number;
  channels: 1 | 2;
  started_at: string;
  bytes_received: number;
  owner_session: string;
  meeting_id: string | null;
  is_mine: boolean;
}

/** One row of `voice.providers.list`; an unavailable provider says why (`reason`) and how to fix it (`hint`). */
export interface VoiceProviderInfo {
  id: string;
  kind: 'stt' | 'tts';
  available: boolean;
  description: string;
  reason?: string;
  hint?: string;
}

// §15.6 binary frames: 26-byte header, then s16le PCM at the session's rate and channels.
export const VOICE_FRAME_HEADER_BYTES = 26;
export const VOICE_FRAME_PCM = 0x01;
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
  'voice.transcribe_stream.start': { params: transcribeStartParams, result: returns<VoiceSessionInfo>() },
  'voice.transcribe_stream.push': { params: transcribePushParams, result: returns<VoicePushResult>() },
  'voice.transcribe_stream.stop': { params: transcribeStopParams, result: returns<VoiceStopResult>() },
  'voice.sessions.list': { params: emptyParams, result: returns<VoiceSessionEntry[]>() },
  'voice.providers.list': { params: emptyParams, result: returns<VoiceProviderInfo[]>() },
});

export const voiceNotifications = defineNotifications({
  'voice.event': carries<VoiceEventParams>(),
});
