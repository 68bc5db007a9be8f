import { randomUUID } from 'node:crypto';
import { splitChannels } from '../../audio/frames.js';
import type {
  MeetingMetadata,
  MeetingSource,
  MeetingStatus,
  MeetingStopReason,
  MeetingStopResult,
  SummaryProgress,
  TranscriptLine,
} from '../../protocol/meeting.js';
import type { VoiceEvent } from '../../protocol/voice.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { JournalWriter } from '../state/capability.js';
import type { VoiceEventSink, VoiceSessionRegistry } from '../voice/registry.js';
import { AudioRecorder } from './audio-recorder.js';
import type { WavFileSource } from './file-source.js';
import { finalPass, type RecordedStream } from './final-pass.js';
import type { RecordingFormat } from '../voice/recording-transcriber.js';
import type { MeetingFiles, TranscriptLog } from './store.js';
import type { MeetingSummarizer } from './summarizer.js';

const FINAL_FILES_RETRY_MS = 5000;

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
  /** The stream's audio as it arrives, in the meeting's directory (16 kHz mono), when it is kept. */
  recorder: AudioRecorder | null;
}

/** The memory fact of a meeting's segment: its id names the meeting, so `meeting.delete` finds every one. */
export const meetingFactId = (meetingId: string, segmentIndex: number): string => `mtg-${meetingId}-${segmentIndex}`;

/** What a live meeting needs from its registry. */
export interface MeetingHost {
  readonly voice: Pick<VoiceSessionRegistry, 'push' | 'stop' | 'transcribeRecording'>;
  readonly memory: Pick<MemoryService, 'ingest' | 'retract'>;
  readonly journal: JournalWriter;
  readonly summarizer: MeetingSummarizer;
  /** Aborts when the daemon shuts down: a final pass still running is cut short (the live transcript stays). */
  readonly closing: AbortSignal;
  /** The meeting is on disk as stopped: it is no longer live, though its summary may still be running. */
  released(meeting: LiveMeeting): void;
}

/**
 * One recording meeting: the sink chain (docs/protocol.md#meeting-lifecycle) for each of its voice sessions (memory
 * ingest → append and sync to `transcript.jsonl` → forward to the owner), each stream's
 * recording, the file pump for `file` sources, and the one-time finalisation (the final pass
 * over the recordings, whose lines replace the live ones in memory too; transcript.md,
 * meeting.json, summary).
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
  /** The final meeting.json or transcript.md could not be written yet: the meeting stays in the registry, listed as it ended. */
  private finalFilesPending = false;
  /** What `meeting.stop` does without `summarize`: the start's `summarize_on_end`, else summarise. */
  summarizeByDefault = true;

  constructor(
    private readonly host: MeetingHost,
    readonly owner: ClientSession,
    readonly files: MeetingFiles,
    private metadata: MeetingMetadata,
    private readonly transcript: TranscriptLog,
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

  /**
   * A pushed or captured meeting's transcript is replaced at stop by the final pass over its
   * recordings; a file is already decoded as a recording, so its live transcript is its final one.
   */
  get finalPassDue(): boolean {
    return this.metadata.audio_source_kind !== 'file';
  }

  /**
   * Adds a stream; `role` null keeps the engine's role on its transcripts (a single unlabelled
   * stream). Its audio is recorded into the meeting's directory when `recorded` gives the format
   * it arrives in (every stream of a pushed or captured meeting, a file's only for `persist_audio`).
   */
  async addTrack(role: string | null, device: string, recorded: RecordingFormat | null): Promise<MeetingTrack> {
    const position = this.tracks.length;
    const track: MeetingTrack = {
      voiceSessionId: randomUUID().replace(/-/g, ''),
      role: role ?? 'unknown',
      labelled: role !== null,
      device,
      offsetMs: () => 0,
      recorder: null,
    };
    // Added before the file is created, so the tracks keep the order of the streams planned.
    this.tracks.push(track);
    if (track.labelled) this.metadata = { ...this.metadata, sources: [...this.metadata.sources, { role: track.role, device }] };
    if (recorded) track.recorder = await AudioRecorder.create(this.files.streamAudioFile(position, role), recorded.sampleRate, recorded.channels);
    return track;
  }

  /** A stream's audio tap (`onAudio` of its voice session): every chunk goes to its recording. */
  recordFor(track: MeetingTrack): ((pcm: Uint8Array) => void) | undefined {
    return track.recorder ? (pcm) => track.recorder!.append(pcm) : undefined;
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
          if (this.tracks.length === 1) await this.host.voice.push(this.voiceSessionId, pcm);
          else
            await Promise.all(
              splitChannels(pcm, this.tracks.length).map((mono, channel) =>
                this.host.voice.push(this.tracks[channel]!.voiceSessionId, Buffer.from(mono.buffer, mono.byteOffset, mono.byteLength)),
              ),
            );
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
    await Promise.all(this.tracks.flatMap((track) => (track.recorder ? [track.recorder.close().catch(() => undefined)] : [])));
    await this.files.discard();
  }

  /** Saves a final; its line index, or `null` when the transcript cannot be written (the meeting then stops). */
  private async persist(event: Extract<VoiceEvent, { type: 'transcript' }>): Promise<number | null> {
    const index = this.nextIndex++;
    // Live lines are searchable while the meeting records, and stay so if the daemon dies before the final pass.
    this.ingest([{ index, text: event.text }]);
    try {
      await this.transcript.append({ index, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms, role: event.role, at: new Date().toISOString() });
    } catch (error) {
      this.sealed = true;
      log.error('meeting transcript cannot be written; stopping the meeting', {
        meeting: this.id,
        segment: index,
        error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      });
      this.forward(this.tracks[0]!, {
        type: 'error',
        message: `the transcript of meeting '${this.id}' cannot be written to disk; the meeting was stopped with the segments saved so far`,
        fatal: true,
      });
      void this.finish({ status: 'failed', stopReason: 'error', summarize: false }).catch(() => undefined);
      return null;
    }
    this.segments++;
    return index;
  }

  /** Facts named after the meeting and the line (`mtg-<meeting id>-<index>`). Never throws, and a failure is logged and journaled by memory; it must not hold up the transcript. */
  private ingest(lines: readonly Pick<TranscriptLine, 'index' | 'text'>[]): void {
    const facts = lines.filter(spoken).map((line) => ({
      id: this.factId(line),
      subject: this.subject,
      body: line.text,
      kind: 'conversation' as const,
      source: 'meeting' as const,
      confidence: 0.8,
    }));
    if (facts.length) this.host.memory.ingest(this.owner, facts);
  }

  private factId(line: Pick<TranscriptLine, 'index'>): string {
    return meetingFactId(this.id, line.index);
  }

  /**
   * Closes every stream's recording; the streams to decode in the final pass, or `null` when
   * there is none to run: a file meeting, no audio, or a recording that missed some audio (a
   * failed write), since a pass over it would drop speech the live transcript has.
   */
  private async closeRecordings(): Promise<RecordedStream[] | null> {
    const whole = await Promise.all(
      this.tracks.map((track) =>
        (track.recorder?.close() ?? Promise.resolve()).then(
          () => true,
          (error: Error) => {
            log.warn('meeting audio could not be recorded whole; the live transcript stays', { meeting: this.id, stream: track.role, error: error.message });
            return false;
          },
        ),
      ),
    );
    if (!this.finalPassDue || whole.includes(false) || this.tracks.some((track) => !track.recorder)) return null;
    const streams = this.tracks
      .filter((track) => track.recorder!.recordedBytes > 0)
      .map((track) => ({ role: track.role, file: track.recorder!.file, offsetMs: track.offsetMs() }));
    return streams.length ? streams : null;
  }

  /**
   * The final pass over the streams' recordings, which replaces the live transcript
   * (`transcript.live.jsonl` keeps it); `null` when it did not finish, and the live transcript
   * stays. Skipped at daemon shutdown (a long meeting's pass would hold the stop for minutes),
   * cut short like the summary when the stopping call goes away or the daemon shuts down.
   */
  private async finalTranscript(streams: readonly RecordedStream[], request: FinishRequest): Promise<TranscriptLine[] | null> {
    if (request.stopReason === 'daemon_shutdown') return null;
    try {
      const signal = request.signal ? AbortSignal.any([request.signal, this.host.closing]) : this.host.closing;
      const at = new Date().toISOString();
      const final = (await finalPass(streams, this.host.voice, signal)).map((line) => ({ ...line, at }));
      await this.files.replaceTranscript(final);
      this.metadata = { ...this.metadata, transcript_kind: 'final' };
      return final;
    } catch (error) {
      log.warn('meeting final pass did not finish; the live transcript stays', { meeting: this.id, error: (error as Error).message });
      return null;
    }
  }

  private forward(track: MeetingTrack, event: VoiceEvent): void {
    this.owner.notify('voice.event', { session_id: track.voiceSessionId, meeting_id: this.id, event });
  }

  private async runFinish(request: FinishRequest): Promise<MeetingStopResult> {
    const { summarizer } = this.host;
    this.phase = 'stopping';
    this.owner.notify('meeting.stopped', {
      meeting_id: this.id,
      stop_reason: request.stopReason,
      summarize: request.summarize,
      ...(request.detail ? { detail: request.detail } : {}),
    });
    try {
      this.pumpStop.abort();
      await this.pumping;
      // Each stream stops its recording, decodes what is queued and flushes its last utterance through the sink, also when the owner has gone (docs/protocol.md#teardown, step 4). Already gone when the engine failed (or never started).
      const stopped = await Promise.all(
        this.tracks.map((track) =>
          this.host.voice
            .stop(track.voiceSessionId)
            .catch((error: Error) => log.debug('meeting voice session already ended', { meeting: this.id, error: error.message })),
        ),
      );
      // Whole ms, which meeting.json requires: a captured stream's offset is estimated from pieces of audio that need not be whole ms (a monitor's, resampled).
      const durations = stopped.flatMap((result, position) => (result ? [Math.round(result.duration_ms + this.tracks[position]!.offsetMs())] : []));
      const audioMs = durations.length ? Math.max(...durations) : null;
      this.sealed = true;
      await this.transcript.close().catch((error: Error) => log.warn('meeting transcript close failed', { meeting: this.id, error: error.message }));
      const recorded = await this.closeRecordings();

      const live = await this.files.readTranscript();
      const final = recorded ? await this.finalTranscript(recorded, request) : null;
      if (final) {
        // Memory holds what the meeting keeps: the live lines' facts give way to the final ones.
        this.host.memory.retract(
          this.owner,
          Array.from({ length: this.nextIndex }, (_, index) => this.factId({ index })),
        );
        this.ingest(final);
      }
      const lines = final ?? live;
      if (!this.metadata.persist_audio)
        await this.files.removeAudio().catch((error: Error) => log.warn('meeting audio could not be removed', { meeting: this.id, error: error.message }));
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
      if (!(await this.writeFinalFiles(lines))) {
        // A full or read-only disk (issue 26): the meeting stays listed as it ended, not as `recording`, until the files are written.
        this.retryFinalFiles(lines);
        return { ...this.metadata, transcript: lines };
      }
      this.host.released(this);

      if (request.summarize) {
        const outcome = await summarizer.summarize(lines, {
          transcriptLanguage: this.metadata.language,
          signal: request.signal,
          sessionId: request.sessionId ?? null,
          onProgress: request.onProgress,
        });
        if (outcome.summary !== null) await this.files.writeSummary(this.metadata, outcome.summary);
        this.metadata = { ...this.metadata, ...outcome };
        await this.files.writeMetadata(this.metadata);
      }
      log.info('meeting stopped', {
        meeting: this.id,
        status: this.metadata.status,
        stop_reason: this.metadata.stop_reason,
        segments: lines.length,
        summary: this.metadata.summary_kind ?? 'none',
      });
      this.host.journal.append('meeting_stopped', this.owner.id, {
        meeting_id: this.id,
        status: this.metadata.status,
        stop_reason: this.metadata.stop_reason,
        segments: lines.length,
        summarized: this.metadata.summary !== null,
      });
      return { ...this.metadata, transcript: lines };
    } finally {
      if (!this.finalFilesPending) this.host.released(this);
    }
  }

  /** transcript.md, then meeting.json, so a final meeting.json means both are there; false when the disk refused either. */
  private async writeFinalFiles(lines: Awaited<ReturnType<MeetingFiles['readTranscript']>>): Promise<boolean> {
    try {
      await this.files.writeTranscriptMarkdown(this.metadata, lines);
      await this.files.writeMetadata(this.metadata);
      return true;
    } catch (error) {
      log.warn('meeting files cannot be written; retrying every 5 s, the meeting is listed as it ended meanwhile', {
        meeting: this.id,
        error: (error as NodeJS.ErrnoException).code ?? (error as Error).message,
      });
      return false;
    }
  }

  private retryFinalFiles(lines: Awaited<ReturnType<MeetingFiles['readTranscript']>>): void {
    this.finalFilesPending = true;
    // writeFinalFiles never rejects: it answers false when the disk refused.
    const retry = setTimeout(() => {
      void this.writeFinalFiles(lines).then((written) => {
        if (!written) return this.retryFinalFiles(lines);
        this.finalFilesPending = false;
        this.host.released(this);
      });
    }, FINAL_FILES_RETRY_MS);
    // A daemon stopping meanwhile leaves meeting.json at `recording`; the next start repairs it as `interrupted`.
    retry.unref();
  }
}

/** Blank lines are kept in the transcript but are no fact. */
const spoken = (line: Pick<TranscriptLine, 'text'>): boolean => /\S/.test(line.text);

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
