import { randomUUID } from 'node:crypto';
import type { MeetingMetadata, MeetingStatus, MeetingStopReason, MeetingStopResult, SummaryProgress, TranscriptLine } from '../../protocol/meeting.js';
import type { VoiceEvent } from '../../protocol/voice.js';
import { log } from '../log.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { JournalWriter } from '../state/capability.js';
import type { VoiceEventSink, VoiceSessionRegistry } from '../voice/registry.js';
import type { AudioRecorder } from './audio-recorder.js';
import type { WavFileSource } from './file-source.js';
import { finalPass } from './final-pass.js';
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
}

/** What a live meeting needs from its registry. */
export interface MeetingHost {
  readonly voice: Pick<VoiceSessionRegistry, 'push' | 'stop' | 'transcribeRecording'>;
  readonly memory: Pick<MemoryService, 'ingest'>;
  readonly journal: JournalWriter;
  readonly summarizer: MeetingSummarizer;
  /** The meeting is on disk as stopped: it is no longer live, though its summary may still be running. */
  released(meeting: LiveMeeting): void;
}

/**
 * One recording meeting: the sink chain of §14.6/§16.1 for its voice session (memory
 * ingest → append and sync to `transcript.jsonl` → forward to the owner), the file pump
 * for `file` sources, and the one-time finalisation (transcript.md, meeting.json, summary).
 */
export class LiveMeeting {
  phase: 'recording' | 'stopping' = 'recording';
  /** Minted here, so every event this meeting forwards names its voice session. */
  readonly voiceSessionId = randomUUID().replace(/-/g, '');
  private segments = 0;
  /** Set once the transcript is closed, or after a write failed: later events are dropped. */
  private sealed = false;
  private readonly pumpStop = new AbortController();
  private pumping: Promise<void> = Promise.resolve();
  private finishing: Promise<MeetingStopResult> | null = null;
  private readonly subject: string;
  /** Set when `audio.wav` missed some audio, so a final pass over it would drop speech. */
  private audioIncomplete = false;
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

  /** The metadata as `meeting.list` shows it while recording (the stored copy's segment count lags). */
  snapshot(): MeetingMetadata {
    return { ...this.metadata, segment_count: this.segments };
  }

  /** Whether a final pass over the recorded audio replaces the live transcript at stop: pushed audio, recorded as it arrives. */
  private get finalPassDue(): boolean {
    return this.metadata.audio_source_kind === 'pcm_push' && this.audio !== null;
  }

  /** The voice session's audio tap: a pushed meeting keeps its audio for the final pass. */
  readonly record = (pcm: Uint8Array): void => this.audio?.append(pcm);

  /** The voice session's sink; the voice registry awaits each call before delivering the next event. */
  readonly sink: VoiceEventSink = async (event) => {
    if (this.sealed) return;
    if (event.type === 'transcript' && !(await this.persist(event))) return;
    this.forward(event);
    // Not awaited: finishing stops the voice session, which waits for this very delivery.
    if (event.type === 'error' && event.fatal) void this.finish({ status: 'failed', stopReason: 'error', summarize: false }).catch(() => undefined);
  };

  /** Feeds a file source to the voice session as fast as the engine takes it; `onEnd` runs when the file is done. */
  pumpFrom(source: WavFileSource, onEnd: () => void): void {
    this.pumping = (async () => {
      try {
        for await (const pcm of source.pcm(this.pumpStop.signal)) {
          await this.audio?.write(pcm);
          await this.host.voice.push(this.voiceSessionId, pcm);
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

  /** Undoes a start that failed before the meeting went live: handles closed, its fresh directory removed. */
  async abandon(): Promise<void> {
    this.sealed = true;
    this.pumpStop.abort();
    await this.pumping;
    await this.transcript.close().catch(() => undefined);
    await this.audio?.close().catch(() => undefined);
    await this.files.discard();
  }

  private async persist(event: Extract<VoiceEvent, { type: 'transcript' }>): Promise<boolean> {
    const index = event.segment_index;
    // A pushed meeting feeds memory from its final transcript, at stop.
    if (!this.finalPassDue) this.ingest([{ index, text: event.text }]);
    try {
      await this.transcript.append({ index, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms, role: event.role, at: new Date().toISOString() });
    } catch (error) {
      this.sealed = true;
      log.error('meeting transcript cannot be written; stopping the meeting', { meeting: this.id, segment: index, error: (error as NodeJS.ErrnoException).code ?? (error as Error).message });
      this.forward({ type: 'error', message: `the transcript of meeting '${this.id}' cannot be written to disk; the meeting was stopped with the segments saved so far`, fatal: true });
      void this.finish({ status: 'failed', stopReason: 'error', summarize: false }).catch(() => undefined);
      return false;
    }
    this.segments++;
    return true;
  }

  /** Never throws, and a failure is logged and journaled by memory; it must not hold up the transcript. */
  private ingest(lines: readonly Pick<TranscriptLine, 'index' | 'text'>[]): void {
    const facts = lines
      .filter((line) => /\S/.test(line.text))
      .map((line) => ({ id: `mtg-${this.id}-${line.index}`, subject: this.subject, body: line.text, kind: 'conversation' as const, source: 'meeting' as const, confidence: 0.8 }));
    if (facts.length) this.host.memory.ingest(this.owner, facts);
  }

  /**
   * Replaces the live transcript with the final pass over the recorded audio, and feeds
   * memory from whichever transcript the meeting ends with. Skipped at daemon shutdown (a
   * long meeting's pass would hold the stop for minutes) and cut short, like the summary,
   * when the stopping call goes away; on failure the live one stays.
   */
  private async finalTranscript(live: TranscriptLine[], request: FinishRequest): Promise<TranscriptLine[]> {
    let lines = live;
    if (request.stopReason !== 'daemon_shutdown' && !this.audioIncomplete && this.audio!.recordedBytes > 0) {
      try {
        const at = new Date().toISOString();
        const final = (await finalPass([{ role: 'unknown', file: this.files.audioFile }], this.host.voice, request.signal)).map((line) => ({ ...line, at }));
        await this.files.replaceTranscript(final);
        this.metadata = { ...this.metadata, transcript_kind: 'final' };
        lines = final;
      } catch (error) {
        log.warn('meeting final pass failed; the live transcript stays', { meeting: this.id, error: (error as Error).message });
      }
    }
    this.ingest(lines);
    if (!this.metadata.persist_audio) await this.files.removeAudio().catch((error: Error) => log.warn('meeting audio could not be removed', { meeting: this.id, error: error.message }));
    return lines;
  }

  private forward(event: VoiceEvent): void {
    this.owner.notify('voice.event', { session_id: this.voiceSessionId, meeting_id: this.id, event });
  }

  private async runFinish(request: FinishRequest): Promise<MeetingStopResult> {
    const { summarizer } = this.host;
    this.phase = 'stopping';
    this.owner.notify('meeting.stopped', { meeting_id: this.id, stop_reason: request.stopReason, summarize: request.summarize });
    try {
      this.pumpStop.abort();
      await this.pumping;
      // Decodes what is queued and flushes the last utterance through the sink, also when the owner has gone (§4.3 step 4). Already gone when the engine failed (or never started).
      const stopped = await this.host.voice.stop(this.voiceSessionId).catch((error: Error) => log.debug('meeting voice session already ended', { meeting: this.id, error: error.message }));
      const audioMs = stopped ? stopped.duration_ms : null;
      this.sealed = true;
      await this.transcript.close().catch((error: Error) => log.warn('meeting transcript close failed', { meeting: this.id, error: error.message }));
      await this.audio?.close().catch((error: Error) => {
        this.audioIncomplete = true;
        log.warn('meeting audio close failed', { meeting: this.id, error: error.message });
      });

      const live = await this.files.readTranscript();
      const lines = this.finalPassDue ? await this.finalTranscript(live, request) : live;
      const endedAt = new Date();
      this.metadata = {
        ...this.metadata,
        status: request.status,
        stop_reason: request.stopReason,
        ended_at: endedAt.toISOString(),
        // Files (read by the daemon or pushed by `car meeting start <file>`) arrive faster than real time: a meeting lasts as long as its audio, not its processing.
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
