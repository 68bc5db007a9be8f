import { randomUUID } from 'node:crypto';
import { splitChannels } from '../../audio/frames.js';
import type { MeetingMetadata, MeetingSource, MeetingStatus, MeetingStopReason, MeetingStopResult, SummaryProgress } from '../../protocol/meeting.js';
import type { VoiceEvent } from '../../protocol/voice.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { JournalWriter } from '../state/capability.js';
import type { VoiceEventSink, VoiceSessionRegistry } from '../voice/registry.js';
import type { AudioRecorder } from './audio-recorder.js';
import type { WavFileSource } from './file-source.js';
import type { MeetingFiles, TranscriptLog } from './store.js';
import type { MeetingSummarizer } from './summarizer.js';

export interface FinishRequest {
  status: Exclude<MeetingStatus, 'recording' | 'interrupted'>;
  stopReason: MeetingStopReason;
  summarize: boolean;
  /** Aborts the summary (the stopping call went away, or the daemon is shutting down). */
  signal?: AbortSignal;
  /** Who the summary's inference is journaled for. */
  sessionId?: string;
  onProgress?: (progress: SummaryProgress) => void;
  /** Why it stopped, in words, for the owner (`meeting.stopped`): e.g. which source vanished. */
  detail?: string;
}

/** One stream of a meeting: its voice session (its own decoder) and who speaks on it. */
export interface MeetingTrack extends MeetingSource {
  /** Minted by the meeting, so every event it forwards names its voice session. */
  readonly voiceSessionId: string;
  /** `false` for the single stream of unlabelled audio: its transcripts keep the engine's role. */
  readonly labelled: boolean;
  /** Meeting time of the stream's first sample: captured sources start recording a little apart. */
  offsetMs(): number;
}

/** What a live meeting needs from its registry. */
export interface MeetingHost {
  readonly voice: Pick<VoiceSessionRegistry, 'push' | 'stop'>;
  readonly memory: Pick<MemoryService, 'ingest'>;
  readonly journal: JournalWriter;
  readonly summarizer: MeetingSummarizer;
  /** The meeting is on disk as stopped: it is no longer live, though its summary may still be running. */
  released(meeting: LiveMeeting): void;
}

/**
 * One recording meeting: the sink chain (docs/protocol.md#meeting-lifecycle) for each of its voice sessions (memory
 * ingest → append and sync to `transcript.jsonl` → forward to the owner), the file pump
 * for `file` sources, and the one-time finalisation (transcript.md, meeting.json, summary).
 * A meeting has one stream per captured source or split channel, else one.
 */
export class LiveMeeting {
  phase: 'recording' | 'stopping' = 'recording';
  readonly tracks: MeetingTrack[] = [];
  /** Transcript lines of every stream are numbered in the order they are saved. */
  private nextIndex = 0;
  private segments = 0;
  /** Set once the transcript is closed, or after a write failed: later events are dropped. */
  private sealed = false;
  private readonly pumpStop = new AbortController();
  private pumping: Promise<void> = Promise.resolve();
  private finishing: Promise<MeetingStopResult> | null = null;
  private readonly subject: string;
  /** What `meeting.stop` does without `summarize`: the start's `summarize_on_end`, else summarise. */
  summarizeByDefault = true;

  constructor(
    private readonly host: MeetingHost,
    readonly owner: ClientSession,
    readonly files: MeetingFiles,
    private metadata: MeetingMetadata,
    private readonly transcript: TranscriptLog,
    private readonly audio: AudioRecorder | null,
  ) {
    this.subject = `meeting ${metadata.id}: ${metadata.title ?? metadata.id}`;
  }

  get id(): string {
    return this.metadata.id;
  }

  /** The daemon records this meeting from the sound server: it outlives the connection that started it. */
  get captures(): boolean {
    return this.metadata.audio_source_kind === 'capture';
  }

  /** The voice session a client pushes to (the first stream's). */
  get voiceSessionId(): string {
    return this.tracks[0]!.voiceSessionId;
  }

  /** Adds a stream; `role` null keeps the engine's role on its transcripts (a single unlabelled stream). */
  addTrack(role: string | null, device: string): MeetingTrack {
    const track: MeetingTrack = { voiceSessionId: randomUUID().replace(/-/g, ''), role: role ?? 'unknown', labelled: role !== null, device, offsetMs: () => 0 };
    this.tracks.push(track);
    if (track.labelled) this.metadata = { ...this.metadata, sources: [...this.metadata.sources, { role: track.role, device }] };
    return track;
  }

  /** The metadata as `meeting.list` shows it while recording (the stored copy's segment count lags). */
  snapshot(): MeetingMetadata {
    return { ...this.metadata, segment_count: this.segments };
  }

  /** A stream's sink; the voice registry awaits each call before delivering the next event. */
  sinkFor(track: MeetingTrack): VoiceEventSink {
    return async (heard) => {
      if (this.sealed) return;
      let event = inMeetingTime(heard, track.offsetMs());
      if (event.type === 'transcript') {
        const index = await this.persist(event);
        if (index === null) return;
        event = { ...event, segment_index: index };
      }
      this.forward(track, event);
      // Not awaited: finishing stops the voice sessions, which wait for this very delivery.
      if (event.type === 'error' && event.fatal) void this.finish({ status: 'failed', stopReason: 'error', summarize: false }).catch(() => undefined);
    };
  }

  /** Feeds a file source to the voice sessions as fast as the engine takes it (one channel each when split); `onEnd` runs when the file is done. */
  pumpFrom(source: WavFileSource, onEnd: () => void): void {
    this.pumping = (async () => {
      try {
        for await (const pcm of source.pcm(this.pumpStop.signal)) {
          await this.audio?.write(pcm);
          if (this.tracks.length === 1) await this.host.voice.push(this.voiceSessionId, pcm);
          else await Promise.all(splitChannels(pcm, this.tracks.length).map((mono, channel) => this.host.voice.push(this.tracks[channel]!.voiceSessionId, Buffer.from(mono.buffer, mono.byteOffset, mono.byteLength))));
        }
        if (!this.pumpStop.signal.aborted) onEnd();
      } catch (error) {
        if (this.pumpStop.signal.aborted) return;
        log.warn('meeting file source failed', { meeting: this.id, error: (error as Error).message });
        void this.finish({ status: 'failed', stopReason: 'error', summarize: false }).catch(() => undefined);
      } finally {
        await source.close().catch(() => undefined);
      }
    })();
  }

  /** Stops the meeting once; later calls get the first call's outcome. */
  finish(request: FinishRequest): Promise<MeetingStopResult> {
    this.finishing ??= this.runFinish(request);
    return this.finishing;
  }

  /** Undoes a start that failed before the meeting went live: streams stopped, handles closed, its fresh directory removed. */
  async abandon(): Promise<void> {
    this.sealed = true;
    this.pumpStop.abort();
    await this.pumping;
    await Promise.all(this.tracks.map((track) => this.host.voice.stop(track.voiceSessionId).catch(() => undefined)));
    await this.transcript.close().catch(() => undefined);
    await this.audio?.close().catch(() => undefined);
    await this.files.discard();
  }

  /** Saves a final; its line index, or `null` when the transcript cannot be written (the meeting then stops). */
  private async persist(event: Extract<VoiceEvent, { type: 'transcript' }>): Promise<number | null> {
    const index = this.nextIndex++;
    if (/\S/.test(event.text)) {
      // Never throws, and a failure is logged and journaled by memory; it must not hold up the transcript.
      this.host.memory.ingest(this.owner, [
        { id: `mtg-${this.id}-${index}`, subject: this.subject, body: event.text, kind: 'conversation', source: 'meeting', confidence: 0.8 },
      ]);
    }
    try {
      await this.transcript.append({ index, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms, role: event.role, at: new Date().toISOString() });
    } catch (error) {
      this.sealed = true;
      log.error('meeting transcript cannot be written; stopping the meeting', { meeting: this.id, segment: index, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
      this.forward(this.tracks[0]!, { type: 'error', message: `the transcript of meeting '${this.id}' cannot be written to disk; the meeting was stopped with the segments saved so far`, fatal: true });
      void this.finish({ status: 'failed', stopReason: 'error', summarize: false }).catch(() => undefined);
      return null;
    }
    this.segments++;
    return index;
  }

  private forward(track: MeetingTrack, event: VoiceEvent): void {
    this.owner.notify('voice.event', { session_id: track.voiceSessionId, meeting_id: this.id, event });
  }

  private async runFinish(request: FinishRequest): Promise<MeetingStopResult> {
    const { summarizer } = this.host;
    this.phase = 'stopping';
    this.owner.notify('meeting.stopped', { meeting_id: this.id, stop_reason: request.stopReason, summarize: request.summarize, ...(request.detail ? { detail: request.detail } : {}) });
    try {
      this.pumpStop.abort();
      await this.pumping;
      // Each stream stops its recording, decodes what is queued and flushes its last utterance through the sink, also when the owner has gone (docs/protocol.md#teardown, step 4). Already gone when the engine failed (or never started).
      const stopped = await Promise.all(
        this.tracks.map((track) => this.host.voice.stop(track.voiceSessionId).catch((error: Error) => log.debug('meeting voice session already ended', { meeting: this.id, error: error.message }))),
      );
      const durations = stopped.flatMap((result, position) => (result ? [result.duration_ms + this.tracks[position]!.offsetMs()] : []));
      const audioMs = durations.length ? Math.max(...durations) : null;
      this.sealed = true;
      await this.transcript.close().catch((error: Error) => log.warn('meeting transcript close failed', { meeting: this.id, error: error.message }));
      await this.audio?.close().catch((error: Error) => log.warn('meeting audio close failed', { meeting: this.id, error: error.message }));

      const lines = await this.files.readTranscript();
      const endedAt = new Date();
      this.metadata = {
        ...this.metadata,
        status: request.status,
        stop_reason: request.stopReason,
        ended_at: endedAt.toISOString(),
        // Files (read by the daemon or pushed by `car meeting start <file>`) arrive faster than real time: a meeting lasts as long as its audio (its longest stream), not its processing.
        duration_ms: audioMs ?? Math.max(0, endedAt.getTime() - Date.parse(this.metadata.started_at)),
        segment_count: lines.length,
      };
      await this.files.writeTranscriptMarkdown(this.metadata, lines);
      await this.files.writeMetadata(this.metadata);
      this.host.released(this);

      if (request.summarize) {
        const outcome = await summarizer.summarize(lines, { signal: request.signal, sessionId: request.sessionId ?? null, onProgress: request.onProgress });
        if (outcome.summary !== null) await this.files.writeSummary(this.metadata, outcome.summary);
        this.metadata = { ...this.metadata, ...outcome };
        await this.files.writeMetadata(this.metadata);
      }
      this.host.journal.append('meeting_stopped', this.owner.id, {
        meeting_id: this.id,
        status: this.metadata.status,
        stop_reason: this.metadata.stop_reason,
        segments: lines.length,
        summarized: this.metadata.summary !== null,
      });
      return { ...this.metadata, transcript: lines };
    } finally {
      this.host.released(this);
    }
  }
}

/** A stream's event on the meeting's clock (a stream whose first sample predates the meeting's start is clipped at 0). */
function inMeetingTime(event: VoiceEvent, offsetMs: number): VoiceEvent {
  if (offsetMs === 0) return event;
  const shift = (ms: number) => Math.max(0, Math.round(ms + offsetMs));
  switch (event.type) {
    case 'transcript':
      return { ...event, start_ms: shift(event.start_ms), end_ms: shift(event.end_ms) };
    case 'speech_start':
    case 'speech_end':
      return { ...event, at_ms: shift(event.at_ms) };
    default:
      return event;
  }
}
