import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { conflict, forbidden, internalError, invalidParams, limitExceeded, notFound, unavailable, type RpcError } from '../../protocol/errors.js';
import {
  MAX_PCM_CHUNK_BYTES,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  VOICE_FRAME_HEADER_BYTES,
  VOICE_FRAME_PCM,
  decodeVoiceFrame,
  voiceSessionId,
  type VoiceEvent,
  type VoiceProviderInfo,
  type VoiceSegment,
  type VoicePushResult,
  type VoiceSessionEntry,
  type VoiceSessionInfo,
  type VoiceStopResult,
} from '../../protocol/voice.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { CapabilityHost } from '../state/capability.js';
import { EngineOpenQueue } from './open-queue.js';
import { join } from 'node:path';
import { defaultEngines, type DefaultEngineOptions } from './engines/default-engines.js';
import type { SttEngine, TranscriptionMode } from './stt-engine.js';
import { VoiceSession, type OwningCapability, type VoiceEventSink } from './voice-session.js';
import { transcribeRecording, type RecordingFormat } from './recording-transcriber.js';

export type { OwningCapability, VoiceEventSink } from './voice-session.js';

export interface VoiceOptions extends Omit<DefaultEngineOptions, 'stateRoot'> {
  /** The speech engines offered as providers; defaults to `defaultEngines()` (PocketSphinx, whisper.cpp). */
  engines?: SttEngine[];
  /** OPEN §15.1 limits: live sessions per connection (4) and per daemon (16). */
  maxPerConnection?: number;
  maxPerDaemon?: number;
}

export interface VoiceStartOptions {
  sampleRate: number;
  channels: number;
  provider?: string;
  language?: string;
  partials?: boolean;
  /** Default `live`. */
  mode?: TranscriptionMode;
  /** Sees every chunk of audio the session accepts, in order (a meeting records its audio with it). */
  onAudio?: (pcm: Uint8Array) => void;
  sessionId?: string;
  /** Another capability owns the session: it stops it (clients cannot) and feeds it when `feedsAudio`. */
  ownedBy?: OwningCapability;
}

type StopReason = 'requested' | 'owner_disconnected' | 'engine_error' | 'daemon_shutdown';

/** Audio accepted but not yet decoded, per session, before more is refused: about 40 s of 48 kHz stereo. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * `voice_sessions` (§15): every live transcription of the daemon, keyed by its global id.
 * Only the owning connection may push, stop or hear a session; a session another
 * capability owns (a meeting's) is stopped by that capability.
 */
export class VoiceSessionRegistry {
  private readonly sessions = new Map<string, VoiceSession>();
  private readonly engines: ReadonlyMap<string, SttEngine>;
  private readonly maxPerConnection: number;
  private readonly maxPerDaemon: number;
  private readonly openQueue: EngineOpenQueue;
  private droppedFrames = 0;

  constructor(
    private readonly core: CapabilityHost,
    options: VoiceOptions = {},
  ) {
    // A decoder load is a core's work for most of a second: one at a time per core.
    const concurrentOpens = Math.min(options.workers ?? Infinity, 2, availableParallelism());
    const modelsDir = options.modelsDir ?? (core.stateRoot === null ? null : join(core.stateRoot, 'models'));
    const engines = options.engines ?? defaultEngines({ ...options, modelsDir, stateRoot: core.stateRoot });
    this.engines = new Map(engines.map((engine) => [engine.id, engine]));
    this.maxPerConnection = options.maxPerConnection ?? 4;
    this.maxPerDaemon = options.maxPerDaemon ?? 16;
    this.openQueue = new EngineOpenQueue(concurrentOpens);

    core.lifecycle.onTeardown(3, 'voice sessions', (session, reason) => this.discardOwnedBy(session, reason === 'daemon_shutdown' ? 'daemon_shutdown' : 'owner_disconnected'));
    core.lifecycle.describeWith((session) => ({ voice_sessions: this.ownedBy(session).map((voice) => voice.id) }));
    core.onClose(() => this.close());
  }

  /**
   * Opens a session; the engine loads in the background and audio queues behind it.
   * `sink` defaults to sending `voice.event` to the owner.
   */
  start(owner: ClientSession, options: VoiceStartOptions, sink?: VoiceEventSink): VoiceSessionInfo {
    const providerId = options.provider ?? this.defaultProvider();
    const engine = this.engines.get(providerId);
    if (!engine) throw invalidParams(`unknown speech provider '${providerId}'; use one of: ${[...this.engines.keys()].join(', ')} (see voice.providers.list)`, { field: 'options.provider', allowed: [...this.engines.keys()] });
    const language = options.language ?? 'en';
    if (!engine.languages.includes(language.split('-')[0]!.toLowerCase())) {
      throw invalidParams(`speech provider '${providerId}' does not transcribe '${language}'; it supports: ${engine.languages.join(', ')}`, { field: 'options.language', allowed: [...engine.languages] });
    }
    const { sampleRate, channels } = checkFormat(options);
    const id = options.sessionId ?? randomUUID().replace(/-/g, '');
    if (!voiceSessionId.safeParse(id).success) throw invalidParams(`voice session id '${id}' must be 32 lowercase hex characters (a UUID without dashes)`, { field: 'session_id' });
    const availability = engine.availability();
    if (!availability.available) throw unavailable(`speech provider '${providerId}' is unavailable: ${availability.reason}; ${availability.hint}`, { hint: availability.hint });
    if (this.sessions.has(id)) throw conflict(`voice session '${id}' is already live; pick another session_id or omit it`, { field: 'session_id' });
    const owned = this.ownedBy(owner).length;
    if (owned >= this.maxPerConnection) throw limitExceeded(`this connection already has ${owned} live voice sessions, the most allowed; stop one with voice.transcribe_stream.stop first`);
    // Decoders of sessions that just ended are still being loaded or freed: they count until released.
    const held = Math.max(this.sessions.size, this.openStreams() + this.openQueue.queued);
    if (held >= this.maxPerDaemon) throw limitExceeded(`the daemon already has ${held} live voice sessions (counting decoders still being released), the most allowed; try again when one stops`);

    const session = new VoiceSession(
      {
        id,
        owner,
        ownedBy: options.ownedBy ?? null,
        provider: providerId,
        sampleRate,
        channels,
        partials: options.partials ?? true,
        mode: options.mode ?? 'live',
        onAudio: options.onAudio ?? null,
        sink: sink ?? notifyOwner(owner, id),
        onEngineFailure: (failed) => this.remove(failed, 'engine_error'),
      },
      this.openQueue.forSession(id, engine),
    );
    this.sessions.set(id, session);
    this.core.journal.append('voice_session_started', owner.id, { voice_session_id: id, provider: providerId, sample_rate: sampleRate, channels });
    return { session_id: id, status: 'started', provider: providerId, sample_rate: sampleRate, channels, binary_frame_type: VOICE_FRAME_PCM };
  }

  /** Queues a chunk of PCM; resolves once the engine has taken it. `from` is the caller when it comes over RPC. */
  async push(voiceSessionId: string, pcm: Buffer, from?: ClientSession): Promise<VoicePushResult> {
    const session = this.live(voiceSessionId, from);
    const problem = chunkProblem(session, pcm.length);
    if (problem) throw problem;
    const written = session.accept(pcm);
    const totalBytes = session.bytesReceived;
    try {
      await written;
    } catch {
      throw internalError(`voice session '${session.id}' failed: ${session.failure ?? 'the speech engine stopped'}; start a new session`);
    }
    return { session_id: session.id, accepted_bytes: pcm.length, total_bytes: totalBytes };
  }

  /** Flushes, delivers the remaining finals through the sink, and closes the session. `by` is the caller when it comes over RPC. */
  async stop(voiceSessionId: string, by?: ClientSession): Promise<VoiceStopResult> {
    const session = this.live(voiceSessionId, by);
    if (by && session.ownedBy) throw invalidParams(`voice session belongs to ${session.ownedBy.kind} '${session.ownedBy.id}'; stop it with ${session.ownedBy.stopMethod}`, { field: 'session_id' });
    if (session.status === 'stopping') throw notFound(`voice session '${voiceSessionId}' is already stopping; its first stop returns the transcript`);
    try {
      await session.finish();
    } catch {
      throw internalError(`voice session '${session.id}' failed while stopping: ${session.failure ?? 'the speech engine stopped'}; the segments before the failure were delivered as events`);
    }
    this.remove(session, 'requested');
    return {
      session_id: session.id,
      status: 'stopped',
      text: session.segments.map((segment) => segment.text).join(' '),
      segments: session.segments,
      duration_ms: session.durationMs,
    };
  }

  /**
   * A whole recording decoded in long windows, as a batch decoder would (`car voice
   * transcribe <file>`'s decoding, without a session): a meeting's final pass. Uses the
   * default provider unless `provider` names one; its open waits its turn like a session's.
   */
  transcribeRecording(audio: AsyncIterable<Uint8Array>, format: RecordingFormat, options: { provider?: string; signal?: AbortSignal } = {}): Promise<VoiceSegment[]> {
    const providerId = options.provider ?? this.defaultProvider();
    const engine = this.engines.get(providerId);
    if (!engine) return Promise.reject(new Error(`unknown speech provider '${providerId}'`));
    const availability = engine.availability();
    if (!availability.available) return Promise.reject(new Error(`speech provider '${providerId}' is unavailable: ${availability.reason}`));
    return transcribeRecording(this.openQueue.forSession(`recording-${randomUUID()}`, engine), audio, format, options.signal);
  }

  /** Engine streams still holding a decoder: teardown must bring this back to the number of live sessions. */
  openStreams(): number {
    return [...this.engines.values()].reduce((sum, engine) => sum + engine.openStreams(), 0);
  }

  list(caller: ClientSession): VoiceSessionEntry[] {
    return [...this.sessions.values()].map((session) => session.describe(caller));
  }

  /**
   * The provider a session gets without `options.provider`: the first engine that says it
   * should be (whisper with a real model), else the first engine (PocketSphinx), even when
   * it is unavailable: a session then hears why and how to install it, rather than silently
   * getting whisper on a weightless test model that transcribes nothing.
   */
  defaultProvider(): string {
    const engines = [...this.engines.values()];
    const preferred = engines.find((engine) => engine.preferred?.()) ?? engines[0];
    return preferred?.id ?? 'local';
  }

  providers(): VoiceProviderInfo[] {
    return [...this.engines.values()].map((engine) => {
      const availability = engine.availability();
      const info: VoiceProviderInfo = { id: engine.id, kind: 'stt', available: availability.available, description: engine.description };
      if (!availability.available) Object.assign(info, { reason: availability.reason, hint: availability.hint });
      return info;
    });
  }

  /** §15.6: only the owner hears about its bad frames; frames for other sessions vanish without a trace on the wire. */
  receiveFrame(from: ClientSession, frame: Buffer): void {
    const decoded = decodeVoiceFrame(frame);
    const session = decoded.sessionId === null ? undefined : this.sessions.get(decoded.sessionId);
    if (!session || session.owner !== from || session.ownedBy?.feedsAudio) {
      this.countDroppedFrame(from, decoded.sessionId === null ? 'shorter than a session id' : 'unknown voice session or owned by another connection');
      return;
    }
    if (!decoded.complete) {
      session.deliver(frameError(`binary frame of ${frame.length} bytes is shorter than the ${VOICE_FRAME_HEADER_BYTES}-byte header; frame dropped`));
      return;
    }
    const problem =
      decoded.type !== VOICE_FRAME_PCM
        ? `binary frame type 0x${decoded.type.toString(16).padStart(2, '0')} is not inbound PCM (0x01); frame dropped`
        : session.lastSeq !== null && decoded.seq <= session.lastSeq
          ? `binary frame seq ${decoded.seq} is not greater than the previous ${session.lastSeq}; frame dropped`
          : chunkProblem(session, decoded.payload.length)?.message;
    if (problem) {
      session.deliver(frameError(problem));
      return;
    }
    session.lastSeq = decoded.seq;
    // An engine failure reaches the owner as a fatal `error` event; nothing else awaits a frame.
    session.accept(decoded.payload).catch(() => undefined);
  }

  private countDroppedFrame(from: ClientSession, reason: string): void {
    this.droppedFrames++;
    // Powers of ten only, so a connection spraying garbage cannot flood the log.
    if (Number.isInteger(Math.log10(this.droppedFrames))) log.info('binary frame dropped', { session: from.id, reason, dropped_total: this.droppedFrames });
  }

  private live(id: string, caller: ClientSession | undefined): VoiceSession {
    const session = this.sessions.get(id);
    if (!session) throw notFound(`unknown voice session '${id}'; it was never started or has stopped (list live ones with voice.sessions.list)`);
    if (caller && session.owner !== caller) throw forbidden(`voice session '${id}' belongs to another connection; only the connection that started it may push to or stop it`);
    if (caller && session.ownedBy?.feedsAudio) throw forbidden(`voice session '${id}' is fed by ${session.ownedBy.kind} '${session.ownedBy.id}' itself; it takes no pushed audio`);
    return session;
  }

  private ownedBy(owner: ClientSession): VoiceSession[] {
    return [...this.sessions.values()].filter((session) => session.owner === owner);
  }

  /** Teardown step 3: the connection's sessions stop at once and emit nothing more; those another capability owns are left for it to finish. */
  private discardOwnedBy(owner: ClientSession, reason: StopReason): void {
    for (const session of this.ownedBy(owner)) {
      if (session.ownedBy) continue;
      session.discard();
      this.remove(session, reason);
    }
  }

  private remove(session: VoiceSession, reason: StopReason): void {
    if (this.sessions.get(session.id) !== session) return;
    this.sessions.delete(session.id);
    this.openQueue.cancel(session.id);
    this.core.journal.append('voice_session_stopped', session.owner.id, { voice_session_id: session.id, duration_ms: session.durationMs, segments: session.segments.length, reason });
  }

  private async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) {
      session.discard();
      this.remove(session, 'daemon_shutdown');
    }
    await Promise.all([...this.engines.values()].map((engine) => engine.close()));
  }
}

/** The default sink: `voice.event` to the connection that started the session, and to no other. */
export function notifyOwner(owner: ClientSession, sessionId: string): VoiceEventSink {
  return (event: VoiceEvent) => owner.notify('voice.event', { session_id: sessionId, event });
}

const frameError = (message: string): VoiceEvent => ({ type: 'error', message, fatal: false });

/** Rejects formats internal callers could pass that the RPC schema already refuses. */
function checkFormat(options: VoiceStartOptions): { sampleRate: number; channels: 1 | 2 } {
  const { sampleRate, channels } = options;
  if (!Number.isInteger(sampleRate) || sampleRate < MIN_SAMPLE_RATE || sampleRate > MAX_SAMPLE_RATE) {
    throw invalidParams(`sample rate ${sampleRate} Hz is not supported; use ${MIN_SAMPLE_RATE}-${MAX_SAMPLE_RATE} Hz`, { field: 'audio_source.sample_rate' });
  }
  if (channels !== 1 && channels !== 2) throw invalidParams(`${channels} channels are not supported; use 1 (mono) or 2 (stereo)`, { field: 'audio_source.channels' });
  return { sampleRate, channels };
}

/** Why a chunk of `bytes` cannot be queued on this session, if it cannot; the same rules for pushes and binary frames. */
function chunkProblem(session: VoiceSession, bytes: number): RpcError | null {
  if (session.status === 'stopping') return notFound(`voice session '${session.id}' is stopping; it accepts no more audio`);
  if (bytes > MAX_PCM_CHUNK_BYTES) return limitExceeded(`the chunk is ${bytes} bytes; send at most 1 MiB (${MAX_PCM_CHUNK_BYTES} bytes) at a time`);
  if (bytes % session.frameBytes !== 0) {
    return invalidParams(`the chunk is ${bytes} bytes, not a whole number of ${session.channels === 2 ? 'stereo ' : ''}16-bit samples; send multiples of ${session.frameBytes} bytes`, { field: 'pcm_b64' });
  }
  if (session.queuedBytes + bytes > MAX_QUEUED_BYTES) return limitExceeded(`audio is arriving faster than it can be decoded (${session.queuedBytes} bytes waiting); wait for earlier pushes to resolve`);
  return null;
}
