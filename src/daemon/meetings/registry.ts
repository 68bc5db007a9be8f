import type { z } from 'zod';
import { ErrorCode, conflict, forbidden, type RpcError } from '../../protocol/errors.js';
import type { MeetingStartResult, meetingStartParams, meetingStopParams, MeetingStopResult } from '../../protocol/meeting.js';
import { DEFAULT_SAMPLE_RATE } from '../../protocol/voice.js';
import { log } from '../log.js';
import { randomHex } from '../ids.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { LocalInference } from '../inference/local-inference.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { CapabilityHost, JournalWriter } from '../state/capability.js';
import type { VoiceSessionRegistry } from '../voice/registry.js';
import type { SoundServer } from '../voice/capture/sound-server.js';
import { MeetingArchive, type LiveMeetings } from './archive.js';
import { DirectoryQueue } from './directory-queue.js';
import { LiveMeeting, type MeetingHost } from './live-meeting.js';
import { openMeetingAudio, type MeetingAudio } from './meeting-audio.js';
import { MeetingFiles, recordingMetadata, TranscriptLog } from './store.js';
import { MeetingSummarizer } from './summarizer.js';

type StartParams = z.output<typeof meetingStartParams>;
type StopParams = z.output<typeof meetingStopParams>;

/** A generated id that collides with a directory on disk is replaced this many times before giving up. */
const GENERATED_ID_ATTEMPTS = 3;

/**
 * `meetings` (docs/protocol.md#namespace-meeting), live control: every meeting the daemon records, under a
 * global id, from start to the files written at stop, and the meeting parts of the session
 * lifecycle (teardown step 4, finalisation on shutdown). What is stored is the archive's
 * (`archive.ts`): listing, reading, summarising, deleting and repairing meetings on disk.
 */
export class MeetingRegistry implements MeetingHost, LiveMeetings {
  readonly summarizer: MeetingSummarizer;
  readonly archive: MeetingArchive;
  private readonly live = new Map<string, LiveMeeting>();
  /** Ids whose start is in progress, so two starts cannot take one id. */
  private readonly starting = new Set<string>();
  /** Finalisations still running (summaries included), awaited on shutdown. */
  private readonly finishing = new Set<Promise<unknown>>();
  /** The summary written at stop, meeting.summarize and meeting.delete of one directory run one at a time. */
  private readonly directoryWork = new DirectoryQueue();
  private readonly shutdown = new AbortController();

  readonly journal: JournalWriter;

  constructor(
    core: CapabilityHost,
    inference: LocalInference,
    readonly voice: Pick<VoiceSessionRegistry, 'start' | 'startCapture' | 'push' | 'stop' | 'transcribeRecording'>,
    readonly memory: Pick<MemoryService, 'ingest' | 'retract' | 'forgetFacts'>,
    private readonly soundServer: Pick<SoundServer, 'resolve'>,
  ) {
    this.journal = core.journal;
    this.summarizer = new MeetingSummarizer(inference);
    this.archive = new MeetingArchive({
      stateRoot: core.stateRoot,
      journal: core.journal,
      summarizer: this.summarizer,
      memory,
      directoryWork: this.directoryWork,
      closing: this.shutdown.signal,
      live: this,
    });
    core.lifecycle.onTeardown(4, 'meetings', (session, reason) => this.finishOwnedBy(session, reason));
    core.lifecycle.describeWith((session) => ({ meetings: this.ownedBy(session).map((meeting) => meeting.id) }));
    core.onStart(() => this.archive.repairDefaultRoot());
    core.onClose(() => this.close());
  }

  /** Aborts when the daemon shuts down (MeetingHost): final passes and summaries still running stop. */
  get closing(): AbortSignal {
    return this.shutdown.signal;
  }

  async start(params: StartParams, owner: ClientSession): Promise<MeetingStartResult> {
    const root = this.archive.rootFor(params.root);
    const audio = await openMeetingAudio(params.audio_source, this.soundServer);
    const source = audio.file;
    let meeting: LiveMeeting;
    try {
      meeting = await this.create(root, params, owner, audio);
    } catch (error) {
      await source?.close();
      throw error;
    }
    try {
      await this.startStreams(meeting, audio, params, owner);
    } catch (error) {
      await source?.close();
      await meeting.abandon();
      this.starting.delete(meeting.id);
      throw error;
    }
    meeting.summarizeByDefault = params.summarize_on_end ?? true;
    this.live.set(meeting.id, meeting);
    this.starting.delete(meeting.id);
    const started = meeting.snapshot();
    this.journal.append('meeting_started', owner.id, { meeting_id: meeting.id, title: started.title, path: started.path });
    log.info('meeting started', { meeting: meeting.id, session: owner.id, source: audio.kind, streams: audio.streams.length });
    if (source) {
      meeting.pumpFrom(
        source,
        () =>
          void this.track(
            this.directoryWork.run(meeting.files.dir, () =>
              meeting.finish({
                status: 'stopped',
                stopReason: 'end_of_file',
                summarize: params.summarize_on_end ?? true,
                signal: this.shutdown.signal,
                sessionId: owner.id,
                onProgress: (progress) => owner.notify('meeting.summary.progress', { meeting_id: meeting.id, ...progress }),
              }),
            ),
          ),
      );
    }
    // The owner may have gone while the files were being created; its teardown could not see this meeting yet. A captured meeting outlives it.
    if (owner.closed && !meeting.captures) void this.track(meeting.finish({ status: 'stopped', stopReason: 'owner_disconnected', summarize: false }));
    return {
      id: meeting.id,
      title: started.title,
      started_at: started.started_at,
      status: 'recording',
      voice_session_id: audio.kind === 'pcm_push' ? meeting.voiceSessionId : null,
      sources: meeting.tracks.filter((track) => track.labelled).map(({ role, device, voiceSessionId }) => ({ role, device, voice_session_id: voiceSessionId })),
      path: started.path,
    };
  }

  /**
   * One voice session per planned stream, each recorded into the meeting's directory for the
   * final pass (a file's streams only for `persist_audio`: the file is decoded as a recording
   * already). Captured streams start together and the meeting starts once each is heard; a
   * stream that fails stops the ones already running.
   */
  private async startStreams(meeting: LiveMeeting, audio: MeetingAudio, params: StartParams, owner: ClientSession): Promise<void> {
    const ownedBy = { kind: 'meeting', id: meeting.id, stopMethod: 'meeting.stop', feedsAudio: audio.kind !== 'pcm_push' };
    // A file is decoded as a recording (long windows cut at the longest pauses); pushed and captured audio live.
    const common = { language: params.language, ownedBy, mode: audio.file ? ('recording' as const) : ('live' as const) };
    const startedAt = Date.parse(meeting.snapshot().started_at);
    const keepsAudio = audio.kind !== 'file' || params.persist_audio;
    const starts = audio.streams.map(async (stream) => {
      const format = stream.capture
        ? { sampleRate: DEFAULT_SAMPLE_RATE, channels: 1 as const }
        : { sampleRate: audio.sampleRate, channels: audio.split ? (1 as const) : audio.channels };
      const track = await meeting.addTrack(stream.role, stream.device, keepsAudio ? format : null);
      const role = stream.role ?? undefined;
      const onAudio = meeting.recordFor(track);
      if (!stream.capture) {
        // Partials are stale at once when a file is read faster than real time, so a file source has none.
        this.voice.start(owner, { ...common, sessionId: track.voiceSessionId, ...format, partials: !audio.file, role, onAudio }, meeting.sinkFor(track));
        return;
      }
      const { firstSampleAt } = await this.voice.startCapture(
        owner,
        stream.capture,
        { ...common, sessionId: track.voiceSessionId, partials: true, role, onAudio, onLost: (reason) => this.sourceLost(meeting, reason) },
        meeting.sinkFor(track),
      );
      // Whole ms: meeting.json keeps durations as integers.
      track.offsetMs = () => Math.round(firstSampleAt() - startedAt);
    });
    const failed = (await Promise.allSettled(starts)).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A captured source vanished: the meeting stops with what was heard, and is summarised as if it had been stopped. */
  private sourceLost(meeting: LiveMeeting, reason: string): void {
    if (meeting.phase !== 'recording') return;
    const { owner } = meeting;
    void this.track(
      this.directoryWork.run(meeting.files.dir, () =>
        meeting.finish({
          status: 'stopped',
          stopReason: 'device_lost',
          detail: reason,
          summarize: meeting.summarizeByDefault,
          signal: this.shutdown.signal,
          sessionId: owner.id,
          onProgress: (progress) => owner.notify('meeting.summary.progress', { meeting_id: meeting.id, ...progress }),
        }),
      ),
    );
  }

  async stop(params: StopParams, caller: ClientSession, signal: AbortSignal): Promise<MeetingStopResult> {
    const meeting = this.live.get(params.meeting_id);
    if (!meeting) throw await this.archive.whyNotRecording(params.meeting_id);
    if (meeting.owner !== caller && !caller.hasHostRights) {
      throw forbidden(
        `meeting '${meeting.id}' belongs to another connection; only the connection that started it, or a host-role session (host_token), may stop it`,
      );
    }
    if (meeting.phase !== 'recording') throw conflict(`meeting '${meeting.id}' is already stopping; read the result with meeting.get`);
    const stopped = meeting.finish({
      status: 'stopped',
      stopReason: params.end_of_input ? 'end_of_file' : 'requested',
      summarize: params.summarize ?? meeting.summarizeByDefault,
      signal: AbortSignal.any([signal, this.shutdown.signal]),
      sessionId: caller.id,
      onProgress: (progress) => caller.notify('meeting.summary.progress', { meeting_id: meeting.id, ...progress }),
    });
    void this.track(this.directoryWork.run(meeting.files.dir, () => stopped));
    return stopped;
  }

  released(meeting: LiveMeeting): void {
    if (this.live.get(meeting.id) !== meeting) return;
    this.live.delete(meeting.id);
    this.archive.remember(meeting.id, meeting.files.dir);
  }

  private async create(root: string, params: StartParams, owner: ClientSession, audio: MeetingAudio): Promise<LiveMeeting> {
    for (let attempt = 1; ; attempt++) {
      const id = params.id ?? newMeetingId();
      if (this.holds(id)) throw conflict(`meeting '${id}' is already recording; choose another id, or omit id to get a fresh one`, { field: 'id' });
      this.starting.add(id);
      try {
        return await this.createFiles(root, id, params, owner, audio);
      } catch (error) {
        this.starting.delete(id);
        const collided = (error as RpcError).code === ErrorCode.Conflict;
        if (!collided || params.id !== undefined || attempt >= GENERATED_ID_ATTEMPTS) throw error;
      }
    }
  }

  private async createFiles(root: string, id: string, params: StartParams, owner: ClientSession, { kind }: MeetingAudio): Promise<LiveMeeting> {
    const files = await MeetingFiles.create(root, id);
    try {
      const metadata = recordingMetadata(files, {
        title: params.title ?? null,
        language: params.language ?? 'en',
        audio_source_kind: kind,
        persist_audio: params.persist_audio,
        memory_namespace: owner.memoryNamespace,
      });
      await files.writeMetadata(metadata);
      const transcript = await TranscriptLog.open(files.transcriptFile);
      return new LiveMeeting(this, owner, files, metadata, transcript);
    } catch (error) {
      await files.discard();
      throw error;
    }
  }

  /**
   * Teardown step 4: the connection's meetings end without a summary (no unattended inference),
   * except those the daemon records itself: they go on until stopped (`car meeting stop`, host role).
   */
  private async finishOwnedBy(owner: ClientSession, reason: string): Promise<void> {
    const stopReason = reason === 'daemon_shutdown' ? 'daemon_shutdown' : 'owner_disconnected';
    const ending = this.ownedBy(owner, true).filter((meeting) => stopReason === 'daemon_shutdown' || !meeting.captures);
    await Promise.all(
      ending.map((meeting) =>
        this.track(meeting.finish({ status: 'stopped', stopReason, summarize: false })).catch((error: Error) =>
          log.warn('meeting finalisation failed', { meeting: meeting.id, error: error.message }),
        ),
      ),
    );
  }

  /** Graceful shutdown: summaries still running are cancelled (their meetings stay stopped), any meeting left is finalised. */
  private async close(): Promise<void> {
    this.shutdown.abort(new Error('daemon shutting down'));
    for (const meeting of this.live.values()) void this.track(meeting.finish({ status: 'stopped', stopReason: 'daemon_shutdown', summarize: false }));
    await Promise.allSettled([...this.finishing]);
  }

  /** Held until it settles, so close() waits for it; a failure is logged here, so a caller that does not need the outcome leaves it with `void`. */
  private track<T>(finishing: Promise<T>): Promise<T> {
    this.finishing.add(finishing);
    const settled = () => void this.finishing.delete(finishing);
    finishing.then(settled, (error: Error) => {
      settled();
      log.warn('meeting finalisation failed', { error: error.message });
    });
    return finishing;
  }

  at(files: MeetingFiles): LiveMeeting | undefined {
    const live = this.live.get(files.id);
    return live?.files.dir === files.dir ? live : undefined;
  }

  holds(id: string): boolean {
    return this.live.has(id) || this.starting.has(id);
  }

  isStarting(id: string): boolean {
    return this.starting.has(id);
  }

  async settled(id: string): Promise<void> {
    const live = this.live.get(id);
    // finish() runs once: a second call waits for the first one's outcome, so this only waits and changes nothing about how it stops.
    if (live?.phase === 'stopping') await live.finish({ status: 'stopped', stopReason: 'requested', summarize: false }).catch(() => undefined);
  }

  private ownedBy(owner: ClientSession, includeStopping = false): LiveMeeting[] {
    return [...this.live.values()].filter((meeting) => meeting.owner === owner && (includeStopping || meeting.phase === 'recording'));
  }
}

/** `mtg-<YYYYMMDD>-<6 hex>` (UTC date). */
function newMeetingId(now = new Date()): string {
  return `mtg-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomHex(3)}`;
}
