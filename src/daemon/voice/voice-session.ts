import type { CapturedSource, VoiceEvent, VoiceSegment, VoiceSessionEntry } from '../../protocol/voice.js';
import { BYTES_PER_SAMPLE } from '../../protocol/voice.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { SttEngine, SttStream, TranscriptionMode } from './stt-engine.js';

/** Receives a session's events one at a time; the next event waits until the returned promise settles. */
export type VoiceEventSink = (event: VoiceEvent) => void | Promise<void>;

/**
 * A capability that owns a voice session on behalf of a connection (a meeting): only it
 * stops the session, the connection's teardown leaves the session for it to finish
 * (flushing the last utterance), and when `feedsAudio` it alone supplies the audio.
 */
export interface OwningCapability {
  /** What users call the owner, for messages: `meeting`. */
  kind: string;
  id: string;
  /** The method a client calls to stop it, for messages: `meeting.stop`. */
  stopMethod: string;
  /** The owner feeds the audio itself (e.g. read from a file), so no client may push to the session. */
  feedsAudio: boolean;
}

export interface VoiceSessionSpec {
  id: string;
  owner: ClientSession;
  ownedBy: OwningCapability | null;
  provider: string;
  sampleRate: number;
  channels: 1 | 2;
  partials: boolean;
  /** Stamped on every transcript; the engine's `unknown` stays when there is none. */
  role: string | null;
  /** The sound-server source the daemon records into this session; it then takes no pushed audio. */
  capture: CapturedSource | null;
  mode: TranscriptionMode;
  /** Sees every chunk of audio the session is given, in order (a meeting records its streams with it). */
  onAudio: ((pcm: Uint8Array) => void) | null;
  sink: VoiceEventSink;
  /** Called once when the engine fails the stream; the registry stops the session. */
  onEngineFailure(session: VoiceSession, message: string): void;
}

/**
 * One live transcription. Audio (pushes and binary frames alike) is queued in arrival
 * order behind the engine's open; events reach the sink strictly in order, each sink
 * call awaited before the next.
 */
export class VoiceSession {
  readonly id: string;
  readonly owner: ClientSession;
  readonly ownedBy: OwningCapability | null;
  readonly provider: string;
  readonly sampleRate: number;
  readonly channels: 1 | 2;
  readonly startedAt = new Date();
  status: 'running' | 'stopping' = 'running';
  bytesReceived = 0;
  /** Bytes accepted but not yet taken by the engine. */
  queuedBytes = 0;
  /** `seq` of the last binary frame accepted. */
  lastSeq: bigint | null = null;
  readonly segments: VoiceSegment[] = [];
  /** Set when the engine failed; no more audio is accepted. */
  failure: string | null = null;
  /** Stops the recording of a `capture` session: before the final flush, and on discard. */
  stopCapture: () => Promise<void> = async () => undefined;
  private discarded = false;
  private readonly stream: Promise<SttStream>;
  private writes: Promise<void> = Promise.resolve();
  private deliveries: Promise<void> = Promise.resolve();

  constructor(
    private readonly spec: VoiceSessionSpec,
    engine: SttEngine,
  ) {
    this.id = spec.id;
    this.owner = spec.owner;
    this.ownedBy = spec.ownedBy;
    this.provider = spec.provider;
    this.sampleRate = spec.sampleRate;
    this.channels = spec.channels;
    this.stream = engine.open({ sampleRate: spec.sampleRate, channels: spec.channels, partials: spec.partials, mode: spec.mode }, (event) =>
      this.fromEngine(event),
    );
    this.stream.catch((error: Error) => this.engineFailed(`the speech engine could not start: ${error.message}`));
  }

  get capture(): CapturedSource | null {
    return this.spec.capture;
  }

  get frameBytes(): number {
    return BYTES_PER_SAMPLE * this.channels;
  }

  get durationMs(): number {
    return Math.round((this.bytesReceived / this.frameBytes / this.sampleRate) * 1000);
  }

  /** Hands a chunk to the session's audio tap only: live audio the decoder is too far behind to take is still recorded. */
  record(pcm: Uint8Array): void {
    this.spec.onAudio?.(pcm);
  }

  /** Queues a chunk of whole frames (and hands it to the tap); resolves once the engine has decoded it. */
  accept(pcm: Uint8Array): Promise<void> {
    this.record(pcm);
    this.bytesReceived += pcm.length;
    this.queuedBytes += pcm.length;
    const written = this.writes
      .then(async () => {
        if (this.failure) throw new Error(this.failure);
        if (this.discarded) return;
        const stream = await this.stream;
        await stream.write(pcm).catch((error: Error) => {
          this.engineFailed(`the speech engine failed: ${error.message}`);
          throw error;
        });
      })
      .finally(() => (this.queuedBytes -= pcm.length));
    this.writes = written.catch(() => undefined);
    return written;
  }

  /** Hands an event to the sink after every earlier one; nothing is delivered once the session was discarded. */
  deliver(event: VoiceEvent): void {
    if (this.discarded) return;
    if (event.type === 'transcript' && this.spec.role !== null) event = { ...event, role: this.spec.role };
    if (event.type === 'transcript') this.segments.push({ index: event.segment_index, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms });
    this.deliveries = this.deliveries
      .then(() => (this.discarded ? undefined : this.spec.sink(event)))
      .catch((error: Error) => log.warn('voice event sink failed', { voice_session: this.id, event: event.type, error: error.message }));
  }

  /** Decodes what is queued, flushes the engine and waits until the last event has been through the sink. */
  async finish(): Promise<void> {
    this.status = 'stopping';
    await this.stopCapture();
    await this.writes;
    if (this.failure) throw new Error(this.failure);
    const stream = await this.stream;
    await stream.end();
    await this.deliveries;
  }

  /** Drops the session at once: queued events are not delivered and the engine frees the decoder. */
  discard(): void {
    this.discarded = true;
    void this.stopCapture();
    this.releaseStream();
  }

  describe(caller: ClientSession): VoiceSessionEntry {
    return {
      session_id: this.id,
      status: this.status,
      provider: this.provider,
      sample_rate: this.sampleRate,
      channels: this.channels,
      started_at: this.startedAt.toISOString(),
      bytes_received: this.bytesReceived,
      owner_session: this.owner.id,
      // The protocol names the owning capability's id after the only capability that owns sessions today.
      meeting_id: this.ownedBy?.id ?? null,
      is_mine: this.owner === caller,
    };
  }

  private fromEngine(event: VoiceEvent): void {
    if (event.type === 'error' && event.fatal) this.engineFailed(event.message);
    else this.deliver(event);
  }

  private engineFailed(message: string): void {
    if (this.failure || this.discarded) return;
    this.failure = message;
    this.deliver({ type: 'error', message, fatal: true });
    void this.stopCapture();
    this.releaseStream();
    this.spec.onEngineFailure(this, message);
  }

  private releaseStream(): void {
    this.stream.then(
      (stream) => stream.discard(),
      () => undefined,
    );
  }
}
