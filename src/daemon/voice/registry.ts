import { randomUUID } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { conflict, forbidden, internalError, invalidParams, limitExceeded, notFound, unavailable, type RpcError } from '../../protocol/errors.js';
import {
  DEFAULT_SAMPLE_RATE,
  MAX_PCM_CHUNK_BYTES,
  MAX_SAMPLE_RATE,
  MIN_SAMPLE_RATE,
  VOICE_FRAME_HEADER_BYTES,
  VOICE_FRAME_PCM,
  decodeVoiceFrame,
  voiceSessionId,
  type CaptureDevice,
  type CapturedSource,
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
import type { ResolvedSource, SoundServer } from './capture/sound-server.js';
import { VoiceSession, type OwningCapability, type VoiceEventSink } from './voice-session.js';
import { transcribeRecording, type RecordingFormat } from './recording-transcriber.js';

export type { OwningCapability, VoiceEventSink } from './voice-session.js';

export interface VoiceOptions extends Omit<DefaultEngineOptions, 'stateRoot'> {
  /** The speech engines offered as providers; defaults to `defaultEngines()` (PocketSphinx, whisper.cpp). */
  engines?: SttEngine[];
  /** Live sessions per connection (4) and per daemon (16); past them `voice.transcribe_stream.start` answers `-32013` (docs/protocol.md#voice-transcribe_stream-start). */
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
  /** Sees every chunk of audio the session is given, in order, captured audio the decoder had to drop included (a meeting records its streams with it). */
  onAudio?: (pcm: Uint8Array) => void;
  sessionId?: string;
  /** Another capability owns the session: it stops it (clients cannot) and feeds it when `feedsAudio`. */
  ownedBy?: OwningCapability;
  /** Stamped on the session's transcripts (`me`, `them`); the engine's `unknown` otherwise. */
  role?: string;
}

export interface CaptureStartOptions extends Omit<VoiceStartOptions, 'sampleRate' | 'channels'> {
  /** The source vanished mid-session. Default: the session flushes, then ends with a fatal `error` event saying why. */
  onLost?(reason: string): void;
}

/** A started capture session, and when the sample its times count from was captured (epoch ms; refined as audio arrives). */
export interface CaptureStarted {
  info: VoiceSessionInfo;
  firstSampleAt: () => number;
}

/** What the registry asks of the sound server. */
export type CaptureTools = Pick<SoundServer, 'devices' | 'resolve' | 'record'>;

type StopReason = 'requested' | 'owner_disconnected' | 'engine_error' | 'device_lost' | 'daemon_shutdown';

/** Audio accepted but not yet decoded, per session, before more is refused: about 40 s of 48 kHz stereo. */
const MAX_QUEUED_BYTES = 8 * 1024 * 1024;

/**
 * `voice_sessions` (docs/protocol.md#namespace-voice): every live transcription of the daemon, keyed by its global id.
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
  /** Capture sessions whose live audio is being dropped because the decoder is too far behind; warned once per episode. */
  private readonly fallenBehind = new WeakSet<VoiceSession>();

  constructor(
    private readonly core: CapabilityHost,
    readonly capture: CaptureTools,
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

    core.lifecycle.onTeardown(3, 'voice sessions', (session, reason) =>
      this.discardOwnedBy(session, reason === 'daemon_shutdown' ? 'daemon_shutdown' : 'owner_disconnected'),
    );
    core.lifecycle.describeWith((session) => ({ voice_sessions: this.ownedBy(session).map((voice) => voice.id) }));
    core.onClose(() => this.close());
  }

  /**
   * Opens a session; the engine loads in the background and audio queues behind it.
   * `sink` defaults to sending `voice.event` to the owner.
   */
  start(owner: ClientSession, options: VoiceStartOptions, sink?: VoiceEventSink, capture: CapturedSource | null = null): VoiceSessionInfo {
    const providerId = options.provider ?? this.defaultProvider();
    const engine = this.engines.get(providerId);
    if (!engine)
      throw invalidParams(`unknown speech provider '${providerId}'; use one of: ${[...this.engines.keys()].join(', ')} (see voice.providers.list)`, {
        field: 'options.provider',
        allowed: [...this.engines.keys()],
      });
    const language = options.language ?? 'en';
    if (!engine.languages.includes(language.split('-')[0]!.toLowerCase())) {
      throw invalidParams(`speech provider '${providerId}' does not transcribe '${language}'; it supports: ${engine.languages.join(', ')}`, {
        field: 'options.language',
        allowed: [...engine.languages],
      });
    }
    const { sampleRate, channels } = checkFormat(options);
    const id = options.sessionId ?? randomUUID().replace(/-/g, '');
    if (!voiceSessionId.safeParse(id).success)
      throw invalidParams(`voice session id '${id}' must be 32 lowercase hex characters (a UUID without dashes)`, { field: 'session_id' });
    const availability = engine.availability();
    if (!availability.available)
      throw unavailable(`speech provider '${providerId}' is unavailable: ${availability.reason}; ${availability.hint}`, { hint: availability.hint });
    if (this.sessions.has(id)) throw conflict(`voice session '${id}' is already live; pick another session_id or omit it`, { field: 'session_id' });
    const owned = this.ownedBy(owner).length;
    if (owned >= this.maxPerConnection)
      throw limitExceeded(`this connection already has ${owned} live voice sessions, the most allowed; stop one with voice.transcribe_stream.stop first`);
    // Decoders of sessions that just ended are still being loaded or freed: they count until released.
    const held = Math.max(this.sessions.size, this.openStreams() + this.openQueue.queued);
    if (held >= this.maxPerDaemon)
      throw limitExceeded(
        `the daemon already has ${held} live voice sessions (counting decoders still being released), the most allowed; try again when one stops`,
      );

    const session = new VoiceSession(
      {
        id,
        owner,
        ownedBy: options.ownedBy ?? null,
        provider: providerId,
        sampleRate,
        channels,
        partials: options.partials ?? true,
        role: options.role ?? null,
        capture,
        mode: options.mode ?? 'live',
        onAudio: options.onAudio ?? null,
        sink: sink ?? notifyOwner(owner, id),
        onEngineFailure: (failed) => this.remove(failed, 'engine_error'),
      },
      this.openQueue.forSession(id, engine),
    );
    this.sessions.set(id, session);
    this.core.journal.append('voice_session_started', owner.id, { voice_session_id: id, provider: providerId, sample_rate: sampleRate, channels });
    log.info('voice session started', {
      voice_session: id,
      session: owner.id,
      provider: providerId,
      sample_rate: sampleRate,
      channels,
      meeting: options.ownedBy?.id,
    });
    return { session_id: id, status: 'started', provider: providerId, sample_rate: sampleRate, channels, binary_frame_type: VOICE_FRAME_PCM };
  }

  /**
   * Opens a session that records `source` itself (16 kHz mono from the sound server);
   * resolves once audio flows. If it cannot start, nothing is left recording.
   */
  async startCapture(owner: ClientSession, source: ResolvedSource, options: CaptureStartOptions, sink?: VoiceEventSink): Promise<CaptureStarted> {
    const { index: _index, ...capture } = source;
    const info = this.start(owner, { ...options, sampleRate: DEFAULT_SAMPLE_RATE, channels: 1, role: options.role ?? source.role }, sink, capture);
    const session = this.sessions.get(info.session_id)!;
    const recording = this.capture.record(source, {
      onPcm: (pcm) => this.feed(session, pcm),
      onLost: (reason) => (options.onLost ? options.onLost(reason) : void this.captureLost(session, reason)),
    });
    session.stopCapture = () => recording.stop();
    try {
      await recording.started;
      return { info: { ...info, capture }, firstSampleAt: () => recording.firstSampleAt };
    } catch (error) {
      session.discard();
      this.remove(session, 'device_lost');
      throw error;
    }
  }

  /** The sound server's sources, for `voice.devices.list`. */
  devices(): Promise<CaptureDevice[]> {
    return this.capture.devices();
  }

  /** Queues a chunk of PCM; resolves once the engine has taken it. `from` is the caller when it comes over RPC. */
  async push(voiceSessionId: string, pcm: Buffer, from?: ClientSession): Promise<VoicePushResult> {
    const session = this.live(voiceSessionId, from);
    if (from) refuseFedSessions(session);
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
    if (by && session.ownedBy)
      throw invalidParams(`voice session belongs to ${session.ownedBy.kind} '${session.ownedBy.id}'; stop it with ${session.ownedBy.stopMethod}`, {
        field: 'session_id',
      });
    if (session.status === 'stopping') throw notFound(`voice session '${voiceSessionId}' is already stopping; its first stop returns the transcript`);
    try {
      await session.finish();
    } catch {
      throw internalError(
        `voice session '${session.id}' failed while stopping: ${session.failure ?? 'the speech engine stopped'}; the segments before the failure were delivered as events`,
      );
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
  transcribeRecording(
    audio: AsyncIterable<Uint8Array>,
    format: RecordingFormat,
    options: { provider?: string; signal?: AbortSignal } = {},
  ): Promise<VoiceSegment[]> {
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
      else if (availability.warning) Object.assign(info, { warning: availability.warning, hint: availability.hint });
      return info;
    });
  }

  /** Only the owner hears about its bad frames (docs/protocol.md#binary-frames); frames for other sessions vanish without a trace on the wire. */
  receiveFrame(from: ClientSession, frame: Buffer): void {
    const decoded = decodeVoiceFrame(frame);
    const session = decoded.sessionId === null ? undefined : this.sessions.get(decoded.sessionId);
    if (!session || session.owner !== from || session.ownedBy?.feedsAudio || session.capture) {
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
    if (caller && session.owner !== caller)
      throw forbidden(`voice session '${id}' belongs to another connection; only the connection that started it may push to or stop it`);
    return session;
  }

  /**
   * Live audio in: queued in order; while the decoder is too far behind it is dropped (and the
   * owner told once), since a source cannot wait. The session's audio tap still gets it, so a
   * meeting's recording (and its final pass) keeps what the live decoder missed.
   */
  private feed(session: VoiceSession, pcm: Buffer): void {
    if (session.status === 'stopping' || session.failure) return;
    if (session.queuedBytes + pcm.length > MAX_QUEUED_BYTES) {
      session.record(pcm);
      if (!this.fallenBehind.has(session)) {
        this.fallenBehind.add(session);
        const behindSeconds = Math.round(session.queuedBytes / session.frameBytes / session.sampleRate);
        session.deliver({
          type: 'error',
          message: `the speech engine is ${behindSeconds} s behind the live audio; audio is dropped until it catches up (too many streams for this machine?)`,
          fatal: false,
        });
      }
      return;
    }
    this.fallenBehind.delete(session);
    session.accept(pcm).catch(() => undefined);
  }

  /** A plain capture session whose source vanished: what was heard is flushed, then a fatal error says why it ended. */
  private async captureLost(session: VoiceSession, reason: string): Promise<void> {
    if (session.status === 'stopping') return;
    await session.finish().catch(() => undefined);
    session.deliver({ type: 'error', message: `${reason}; the session stopped with what was heard (start a new one to go on)`, fatal: true });
    this.remove(session, 'device_lost');
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
    this.core.journal.append('voice_session_stopped', session.owner.id, {
      voice_session_id: session.id,
      duration_ms: session.durationMs,
      segments: session.segments.length,
      reason,
    });
    log.info('voice session stopped', {
      voice_session: session.id,
      reason,
      audio_s: Math.round(session.durationMs / 100) / 10,
      segments: session.segments.length,
    });
  }

  private async close(): Promise<void> {
    for (const session of [...this.sessions.values()]) {
      session.discard();
      this.remove(session, 'daemon_shutdown');
    }
    await Promise.all([...this.engines.values()].map((engine) => engine.close()));
  }
}

function refuseFedSessions(session: VoiceSession): void {
  if (session.ownedBy?.feedsAudio)
    throw forbidden(`voice session '${session.id}' is fed by ${session.ownedBy.kind} '${session.ownedBy.id}' itself; it takes no pushed audio`);
  if (session.capture) throw forbidden(`voice session '${session.id}' records source '${session.capture.name}' itself; it takes no pushed audio`);
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
  if (channels !== 1 && channels !== 2)
    throw invalidParams(`${channels} channels are not supported; use 1 (mono) or 2 (stereo)`, { field: 'audio_source.channels' });
  return { sampleRate, channels };
}

/** Why a chunk of `bytes` cannot be queued on this session, if it cannot; the same rules for pushes and binary frames. */
function chunkProblem(session: VoiceSession, bytes: number): RpcError | null {
  if (session.status === 'stopping') return notFound(`voice session '${session.id}' is stopping; it accepts no more audio`);
  if (bytes > MAX_PCM_CHUNK_BYTES) return limitExceeded(`the chunk is ${bytes} bytes; send at most 1 MiB (${MAX_PCM_CHUNK_BYTES} bytes) at a time`);
  if (bytes % session.frameBytes !== 0) {
    return invalidParams(
      `the chunk is ${bytes} bytes, not a whole number of ${session.channels === 2 ? 'stereo ' : ''}16-bit samples; send multiples of ${session.frameBytes} bytes`,
      { field: 'pcm_b64' },
    );
  }
  if (session.queuedBytes + bytes > MAX_QUEUED_BYTES)
    return limitExceeded(`audio is arriving faster than it can be decoded (${session.queuedBytes} bytes waiting); wait for earlier pushes to resolve`);
  return null;
}
