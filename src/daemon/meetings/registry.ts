import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import { ErrorCode, conflict, forbidden, invalidParams, notFound, type RpcError } from '../../protocol/errors.js';
import type {
  MeetingEntry,
  MeetingMetadata,
  MeetingRecord,
  MeetingStartResult,
  MeetingSummarizeResult,
  MeetingTranscriptResult,
  meetingDeleteParams,
  meetingStartParams,
  meetingStopParams,
  MeetingStopResult,
  meetingSummarizeParams,
} from '../../protocol/meeting.js';
import { log } from '../log.js';
import { stateDirs } from '../root/state-root.js';
import { confinedMeetingsRoot } from './root-confinement.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { LocalInference } from '../inference/local-inference.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { CapabilityHost, JournalWriter } from '../state/capability.js';
import type { VoiceSessionRegistry } from '../voice/registry.js';
import type { SoundServer } from '../voice/capture/sound-server.js';
import { AudioRecorder } from './audio-recorder.js';
import { openMeetingAudio, type MeetingAudio } from './meeting-audio.js';
import { LiveMeeting, type MeetingHost } from './live-meeting.js';
import { corruptEntry, MeetingFiles, newestFirst, readMeetings, recordingMetadata, TranscriptLog } from './store.js';
import { MeetingSummarizer } from './summarizer.js';
import { loadTemplate } from './templates.js';
import { randomHex } from '../ids.js';

type StartParams = z.output<typeof meetingStartParams>;
type StopParams = z.output<typeof meetingStopParams>;
type SummarizeParams = z.output<typeof meetingSummarizeParams>;
type DeleteParams = z.output<typeof meetingDeleteParams>;

/** A generated id that collides with a directory on disk is replaced this many times before giving up. */
const GENERATED_ID_ATTEMPTS = 3;

/**
 * `meetings` (docs/protocol.md#namespace-meeting): every live meeting of the daemon under a global id, their directories
 * under `<state root>/meetings` (or a caller's `root`), and the meeting parts of the
 * session lifecycle: teardown step 4, the repair of meetings a killed daemon left
 * `recording`, and finalisation on shutdown.
 */
export class MeetingRegistry implements MeetingHost {
  readonly summarizer: MeetingSummarizer;
  private readonly live = new Map<string, LiveMeeting>();
  /** Ids whose start is in progress, so two starts cannot take one id. */
  private readonly starting = new Set<string>();
  /** Where this run's stopped meetings live, to tell "already stopped" from "unknown" under any root. */
  private readonly stopped = new Map<string, string>();
  /** Finalisations still running (summaries included), awaited on shutdown. */
  private readonly finishing = new Set<Promise<unknown>>();
  /** Directories whose summary is being written (at stop or by meeting.summarize): a later summarize or delete waits for it. */
  private readonly summarizing = new Map<string, Promise<unknown>>();
  private readonly shutdown = new AbortController();

  readonly journal: JournalWriter;

  constructor(
    private readonly core: CapabilityHost,
    inference: LocalInference,
    readonly voice: Pick<VoiceSessionRegistry, 'start' | 'startCapture' | 'push' | 'stop'>,
    readonly memory: Pick<MemoryService, 'ingest'>,
    private readonly soundServer: Pick<SoundServer, 'resolve'>,
  ) {
    this.journal = core.journal;
    this.summarizer = new MeetingSummarizer(inference);
    core.lifecycle.onTeardown(4, 'meetings', (session, reason) => this.finishOwnedBy(session, reason));
    core.lifecycle.describeWith((session) => ({ meetings: this.ownedBy(session).map((meeting) => meeting.id) }));
    core.onStart(() => this.repairDefaultRoot());
    core.onClose(() => this.close());
  }

  /** `<state root>/meetings`, or `null` for an embedder without a state root (callers must pass `root`). */
  get defaultRoot(): string | null {
    return this.core.stateRoot === null ? null : stateDirs(this.core.stateRoot).meetings;
  }

  async start(params: StartParams, owner: ClientSession): Promise<MeetingStartResult> {
    const root = this.rootFor(params.root);
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
    if (source) {
      meeting.pumpFrom(source, () =>
        this.track(
          this.whileSummarizing(
            meeting.files.dir,
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
    if (owner.closed && !meeting.captures) this.track(meeting.finish({ status: 'stopped', stopReason: 'owner_disconnected', summarize: false }));
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
   * One voice session per planned stream. Captured streams start together and the meeting
   * starts once each is heard; a stream that fails stops the ones already running.
   */
  private async startStreams(meeting: LiveMeeting, audio: MeetingAudio, params: StartParams, owner: ClientSession): Promise<void> {
    const ownedBy = { kind: 'meeting', id: meeting.id, stopMethod: 'meeting.stop', feedsAudio: audio.kind !== 'pcm_push' };
    const common = { language: params.language, ownedBy };
    const startedAt = Date.parse(meeting.snapshot().started_at);
    const starts = audio.streams.map(async (stream) => {
      const track = meeting.addTrack(stream.role, stream.device);
      const role = stream.role ?? undefined;
      if (!stream.capture) {
        // Partials are stale at once when a file is read faster than real time, so a file source has none.
        const channels = audio.split ? 1 : audio.channels;
        this.voice.start(owner, { ...common, sessionId: track.voiceSessionId, sampleRate: audio.sampleRate, channels, partials: !audio.file, role }, meeting.sinkFor(track));
        return;
      }
      const { firstSampleAt } = await this.voice.startCapture(
        owner,
        stream.capture,
        { ...common, sessionId: track.voiceSessionId, partials: true, role, onLost: (reason) => this.sourceLost(meeting, reason) },
        meeting.sinkFor(track),
      );
      track.offsetMs = () => firstSampleAt() - startedAt;
    });
    const failed = (await Promise.allSettled(starts)).find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** A captured source vanished: the meeting stops with what was heard, and is summarised as if it had been stopped. */
  private sourceLost(meeting: LiveMeeting, reason: string): void {
    if (meeting.phase !== 'recording') return;
    const { owner } = meeting;
    this.track(
      this.whileSummarizing(
        meeting.files.dir,
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
    if (!meeting) throw await this.notRecording(params.meeting_id);
    if (meeting.owner !== caller && !caller.hasHostRights) {
      throw forbidden(`meeting '${meeting.id}' belongs to another connection; only the connection that started it, or a host-role session (host_token), may stop it`);
    }
    if (meeting.phase !== 'recording') throw conflict(`meeting '${meeting.id}' is already stopping; read the result with meeting.get`);
    const stopped = meeting.finish({
      status: 'stopped',
      stopReason: 'requested',
      summarize: params.summarize ?? meeting.summarizeByDefault,
      signal: AbortSignal.any([signal, this.shutdown.signal]),
      sessionId: caller.id,
      onProgress: (progress) => caller.notify('meeting.summary.progress', { meeting_id: meeting.id, ...progress }),
    });
    this.track(this.whileSummarizing(meeting.files.dir, stopped));
    return stopped;
  }

  async list(rootParam: string | undefined): Promise<{ meetings: MeetingEntry[] }> {
    const root = this.rootFor(rootParam);
    let found: Awaited<ReturnType<typeof readMeetings>>;
    try {
      found = await readMeetings(root);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
      if (rootParam === undefined) return { meetings: [] };
      throw notFound(`there is no meetings directory at '${root}'; check root, or omit it for the daemon's own meetings`, { field: 'root' });
    }
    const entries = await Promise.all(
      found.map(async ({ files, read }): Promise<MeetingEntry | null> => {
        const live = this.liveAt(files);
        if (live) return live.snapshot();
        if ('error' in read) return (await isGoneOrStarting(files, this.starting)) ? null : corruptEntry(files, read.error, (await files.readTranscript().catch(() => [])).length);
        // Read-only (issue 12, defect 6): a stale `recording` is repaired at start by the daemon holding the lock, never by a listing.
        return read.metadata;
      }),
    );
    return { meetings: await newestFirst(entries.filter((entry): entry is MeetingEntry => entry !== null)) };
  }

  async get(id: string, rootParam: string | undefined): Promise<MeetingRecord> {
    const files = new MeetingFiles(join(this.rootFor(rootParam), id));
    const live = this.liveAt(files);
    if (live) return { ...live.snapshot(), transcript: await files.readTranscript() };
    const read = await files.readMetadata();
    if ('error' in read && !(await exists(files.dir))) throw notFound(`unknown meeting '${id}'${rootParam ? ` in '${rootParam}'` : ''}; list meetings with meeting.list`, { field: 'meeting_id' });
    const transcript = await files.readTranscript();
    if ('error' in read) return { ...corruptEntry(files, read.error, transcript.length), transcript };
    return { ...read.metadata, transcript };
  }

  /**
   * `meeting.summarize` (docs/protocol.md#meeting-summarize): a new summary of a stopped meeting's transcript with a
   * template and language; the summary it replaces is kept as `summary.<n>.md`.
   */
  async summarize(params: SummarizeParams, caller: ClientSession, signal: AbortSignal): Promise<MeetingSummarizeResult> {
    const { files, metadata } = await this.stoppedMeeting(params.id, params.root, 'summarise');
    const template = await loadTemplate(params.template, this.core.stateRoot === null ? null : join(this.core.stateRoot, 'templates'));
    const lines = await files.readTranscript();
    const run = async (): Promise<MeetingSummarizeResult> => {
      const outcome = await this.summarizer.summarize(lines, {
        template,
        language: params.language,
        signal: AbortSignal.any([signal, this.shutdown.signal]),
        sessionId: caller.id,
        onProgress: (progress) => caller.notify('meeting.summary.progress', { meeting_id: params.id, ...progress }),
      });
      const result = { id: params.id, ...outcome, template: template.name, language: params.language ?? null, path: null, previous_path: null };
      if (outcome.summary === null) {
        if (signal.aborted || this.shutdown.signal.aborted) throw conflict(`the summary of meeting '${params.id}' was cancelled; the previous summary is unchanged`);
        return result;
      }
      const previous = await files.keepPreviousSummary();
      const updated = { ...metadata, ...outcome };
      await files.writeSummary(updated, outcome.summary);
      await files.writeMetadata(updated);
      this.journal.append('meeting_summarized', caller.id, { meeting_id: params.id, kind: outcome.summary_kind, template: template.name });
      return { ...result, path: files.summaryFile, previous_path: previous };
    };
    return this.whileSummarizing(files.dir, run());
  }

  /** `meeting.transcript` (docs/protocol.md#meeting-transcript): the segments with their times, for export. */
  async transcript(id: string, rootParam: string | undefined): Promise<MeetingTranscriptResult> {
    const record = await this.get(id, rootParam);
    return {
      id: record.id,
      title: record.title,
      started_at: record.started_at,
      segments: record.transcript.map(({ index, text, start_ms, end_ms, role }) => ({ index, text, start_ms, end_ms, role })),
    };
  }

  /** `meeting.delete` (host role, docs/protocol.md#meeting-delete): the meeting's directory removed; refused (`-32011`) while it records or its summary is written. */
  async delete(params: DeleteParams, caller: ClientSession): Promise<{ id: string; deleted: true }> {
    if (!caller.hasHostRights) throw forbidden(`deleting meeting '${params.id}' needs a host-role session (host_token); \`car meeting rm\` signs in with it`);
    const { files } = await this.stoppedMeeting(params.id, params.root, 'delete');
    await files.remove();
    this.stopped.delete(params.id);
    this.journal.append('meeting_deleted', caller.id, { meeting_id: params.id });
    return { id: params.id, deleted: true };
  }

  released(meeting: LiveMeeting): void {
    if (this.live.get(meeting.id) !== meeting) return;
    this.live.delete(meeting.id);
    this.stopped.set(meeting.id, meeting.files.dir);
  }

  /** A meeting on disk that is neither recording nor being summarised (`-32011` if it is, `-32010` if there is none). */
  private async stoppedMeeting(id: string, rootParam: string | undefined, action: string): Promise<{ files: MeetingFiles; metadata: MeetingMetadata }> {
    const files = new MeetingFiles(join(this.rootFor(rootParam), id));
    if (this.liveAt(files) || this.starting.has(id)) throw conflict(`meeting '${id}' is still recording; stop it first (car meeting stop ${id}), then ${action} it`, { field: 'id' });
    await this.summarizing.get(files.dir)?.catch(() => undefined);
    if (this.summarizing.has(files.dir)) throw conflict(`meeting '${id}' is being summarised; ${action} it once that has finished`, { field: 'id' });
    const read = await files.readMetadata();
    if ('error' in read) {
      if (!(await exists(files.dir))) throw notFound(`unknown meeting '${id}'${rootParam ? ` in '${rootParam}'` : ''}; list meetings with meeting.list`, { field: 'id' });
      if (action === 'delete') return { files, metadata: corruptEntry(files, read.error, 0) as unknown as MeetingMetadata };
      throw conflict(`meeting '${id}' cannot be ${action}d: ${read.error}`, { field: 'id' });
    }
    return { files, metadata: await this.repairIfStale(files, read.metadata) };
  }

  private async whileSummarizing<T>(dir: string, work: Promise<T>): Promise<T> {
    this.summarizing.set(dir, work);
    try {
      return await work;
    } finally {
      if (this.summarizing.get(dir) === work) this.summarizing.delete(dir);
    }
  }

  private async create(root: string, params: StartParams, owner: ClientSession, audio: MeetingAudio): Promise<LiveMeeting> {
    for (let attempt = 1; ; attempt++) {
      const id = params.id ?? newMeetingId();
      if (this.live.has(id) || this.starting.has(id)) throw conflict(`meeting '${id}' is already recording; choose another id, or omit id to get a fresh one`, { field: 'id' });
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

  private async createFiles(root: string, id: string, params: StartParams, owner: ClientSession, { kind, file: source }: MeetingAudio): Promise<LiveMeeting> {
    const files = await MeetingFiles.create(root, id);
    try {
      const metadata = recordingMetadata(files, {
        title: params.title ?? null,
        language: params.language ?? 'en',
        audio_source_kind: kind,
        persist_audio: params.persist_audio,
      });
      await files.writeMetadata(metadata);
      const transcript = await TranscriptLog.open(files.transcriptFile);
      const audio = source && params.persist_audio ? await AudioRecorder.create(files.audioFile, source.format.sampleRate, source.format.channels) : null;
      return new LiveMeeting(this, owner, files, metadata, transcript, audio);
    } catch (error) {
      await files.discard();
      throw error;
    }
  }

  /** Why `meeting.stop` has nothing to stop: `-32011` for a meeting that exists but is over, `-32010` otherwise. */
  private async notRecording(id: string): Promise<RpcError> {
    if (this.starting.has(id)) return conflict(`meeting '${id}' is still starting; stop it once meeting.start has answered`);
    const dir = this.stopped.get(id) ?? (this.defaultRoot === null ? null : join(this.defaultRoot, id));
    if (dir !== null && (await exists(dir))) {
      const read = await new MeetingFiles(dir).readMetadata();
      const status = 'metadata' in read ? read.metadata.status : 'failed';
      return conflict(`meeting '${id}' is already ${status === 'recording' ? 'interrupted' : status}; there is nothing to stop (read it with meeting.get)`, { field: 'meeting_id' });
    }
    return notFound(`unknown meeting '${id}'; it is not recording (list meetings with meeting.list)`, { field: 'meeting_id' });
  }

  /** A `recording` meeting that no live meeting owns was cut off by a killed daemon (docs/protocol.md#meeting-lifecycle). */
  private async repairIfStale(files: MeetingFiles, metadata: MeetingMetadata): Promise<MeetingMetadata> {
    if (metadata.status !== 'recording' || this.starting.has(metadata.id) || this.live.has(metadata.id)) return metadata;
    const lines = await files.readTranscript();
    const endedAt = lines.reduce((latest, line) => (line.at > latest ? line.at : latest), metadata.started_at);
    const repaired: MeetingMetadata = {
      ...metadata,
      status: 'interrupted',
      stop_reason: 'daemon_restart',
      ended_at: endedAt,
      duration_ms: Math.max(0, Date.parse(endedAt) - Date.parse(metadata.started_at)),
      segment_count: lines.length,
    };
    await files.writeTranscriptMarkdown(repaired, lines);
    await files.writeMetadata(repaired);
    this.journal.append('meeting_stopped', null, { meeting_id: metadata.id, status: 'interrupted', stop_reason: 'daemon_restart', segments: lines.length, summarized: false });
    log.info('interrupted meeting repaired', { meeting: metadata.id, segments: lines.length });
    return repaired;
  }

  private async repairDefaultRoot(): Promise<void> {
    if (this.defaultRoot === null) return;
    const found = await readMeetings(this.defaultRoot).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') log.warn('meetings directory cannot be read for repair', { root: this.defaultRoot, error: error.code ?? error.message });
      return [];
    });
    for (const { files, read } of found) {
      if (!('metadata' in read)) continue;
      await this.repairIfStale(files, read.metadata).catch((error: Error) => log.warn('interrupted meeting cannot be repaired', { meeting: files.id, error: error.message }));
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
    for (const meeting of this.live.values()) this.track(meeting.finish({ status: 'stopped', stopReason: 'daemon_shutdown', summarize: false }));
    await Promise.allSettled([...this.finishing]);
  }

  private track<T>(finishing: Promise<T>): Promise<T> {
    this.finishing.add(finishing);
    const settled = () => void this.finishing.delete(finishing);
    finishing.then(settled, (error: Error) => {
      settled();
      log.warn('meeting finalisation failed', { error: error.message });
    });
    return finishing;
  }

  private ownedBy(owner: ClientSession, includeStopping = false): LiveMeeting[] {
    return [...this.live.values()].filter((meeting) => meeting.owner === owner && (includeStopping || meeting.phase === 'recording'));
  }

  private liveAt(files: MeetingFiles): LiveMeeting | undefined {
    const live = this.live.get(files.id);
    return live?.files.dir === files.dir ? live : undefined;
  }

  private rootFor(root: string | undefined): string {
    if (root !== undefined) return this.core.stateRoot === null ? root : confinedMeetingsRoot(this.core.stateRoot, root);
    if (this.defaultRoot === null) throw invalidParams('this daemon keeps no state root, so meetings need an explicit root: pass an absolute directory as root', { field: 'root' });
    return this.defaultRoot;
  }
}

/** `mtg-<YYYYMMDD>-<6 hex>` (UTC date). */
function newMeetingId(now = new Date()): string {
  return `mtg-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomHex(3)}`;
}

/** A directory removed meanwhile (a meeting.start that failed) or still being created is no meeting to list. */
async function isGoneOrStarting(files: MeetingFiles, starting: ReadonlySet<string>): Promise<boolean> {
  return starting.has(files.id) || !(await exists(files.dir));
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
