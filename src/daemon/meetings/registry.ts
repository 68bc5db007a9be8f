import { join } from 'node:path';
import type { z } from 'zod';
import { ErrorCode, conflict, forbidden, invalidParams, notFound, unavailable, type RpcError } from '../../protocol/errors.js';
import type {
  MeetingDeleteResult,
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
import { DEFAULT_SAMPLE_RATE } from '../../protocol/voice.js';
import { openMeetingAudio, type MeetingAudio } from './meeting-audio.js';
import { LiveMeeting, meetingFactId, type MeetingHost } from './live-meeting.js';
import { asInterrupted, exists, storedMeeting, storedMeetings, transcriptOf } from './reader.js';
import { MeetingFiles, readMeetings, recordingMetadata, TranscriptLog } from './store.js';
import { DirectoryQueue } from './directory-queue.js';
import { MeetingSummarizer, unhonouredOption } from './summarizer.js';
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
  /** The summary written at stop, meeting.summarize and meeting.delete of one directory run one at a time. */
  private readonly directoryWork = new DirectoryQueue();
  private readonly shutdown = new AbortController();

  readonly journal: JournalWriter;

  constructor(
    private readonly core: CapabilityHost,
    inference: LocalInference,
    readonly voice: Pick<VoiceSessionRegistry, 'start' | 'startCapture' | 'push' | 'stop' | 'transcribeRecording'>,
    readonly memory: Pick<MemoryService, 'ingest' | 'retract' | 'forgetFacts'>,
    private readonly soundServer: Pick<SoundServer, 'resolve'>,
  ) {
    this.journal = core.journal;
    this.summarizer = new MeetingSummarizer(inference);
    core.lifecycle.onTeardown(4, 'meetings', (session, reason) => this.finishOwnedBy(session, reason));
    core.lifecycle.describeWith((session) => ({ meetings: this.ownedBy(session).map((meeting) => meeting.id) }));
    core.onStart(() => this.repairDefaultRoot());
    core.onClose(() => this.close());
  }

  /** Aborts when the daemon shuts down (MeetingHost): final passes and summaries still running stop. */
  get closing(): AbortSignal {
    return this.shutdown.signal;
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
    if (!meeting) throw await this.notRecording(params.meeting_id);
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

  async list(rootParam: string | undefined): Promise<{ meetings: MeetingEntry[] }> {
    const root = this.rootFor(rootParam);
    if (rootParam !== undefined && !(await exists(root))) {
      throw notFound(`there is no meetings directory at '${root}'; check root, or omit it for the daemon's own meetings`, { field: 'root' });
    }
    // Read-only (issue 12, defect 6): a stale `recording` is repaired at start by the daemon holding the lock, never by a listing.
    const meetings = await storedMeetings(
      root,
      (files, read) => this.liveAt(files)?.snapshot() ?? ('error' in read && this.starting.has(files.id) ? null : undefined),
    );
    return { meetings };
  }

  async get(id: string, rootParam: string | undefined): Promise<MeetingRecord> {
    const root = this.rootFor(rootParam);
    const files = new MeetingFiles(join(root, id));
    const live = this.liveAt(files);
    if (live) return { ...live.snapshot(), transcript: await files.readTranscript() };
    return storedMeeting(root, id, rootParam ? ` in '${rootParam}'` : '');
  }

  /**
   * `meeting.summarize` (docs/protocol.md#meeting-summarize): a new summary of a stopped meeting's transcript with a
   * template and language; the summary it replaces is kept as `summary.<n>.md`.
   */
  async summarize(params: SummarizeParams, caller: ClientSession, signal: AbortSignal): Promise<MeetingSummarizeResult> {
    const files = await this.settledFiles(params.id, params.root, 'summarise');
    return this.directoryWork.run(files.dir, async () => {
      const metadata = await this.stoppedMetadata(files, params.root, 'summarise');
      const template = await loadTemplate(params.template, this.core.stateRoot === null ? null : join(this.core.stateRoot, 'templates'));
      const lines = await files.readTranscript();
      const outcome = await this.summarizer.summarize(lines, {
        template,
        language: params.language,
        transcriptLanguage: metadata.language,
        signal: AbortSignal.any([signal, this.shutdown.signal]),
        sessionId: caller.id,
        onProgress: (progress) => caller.notify('meeting.summary.progress', { meeting_id: params.id, ...progress }),
      });
      const unhonoured = unhonouredOption(outcome, template, params.language);
      if (unhonoured) {
        throw unavailable(`meeting '${params.id}' was not summarised: ${unhonoured.why}; the previous summary is unchanged`, {
          field: unhonoured.field,
          hint: `leave out ${unhonoured.field === 'language' ? 'the language' : 'the template (or use default, action-items, decisions or standup)'}, or give the daemon a model with a chat template (the summary.model setting)`,
        });
      }
      const result = { id: params.id, ...outcome, template: template.name, language: params.language ?? null, path: null, previous_path: null };
      if (outcome.summary === null) {
        if (signal.aborted || this.shutdown.signal.aborted)
          throw conflict(`the summary of meeting '${params.id}' was cancelled; the previous summary is unchanged`);
        return result;
      }
      const previous = await files.keepPreviousSummary();
      const updated = { ...metadata, ...outcome };
      await files.writeSummary(updated, outcome.summary);
      await files.writeMetadata(updated);
      this.journal.append('meeting_summarized', caller.id, { meeting_id: params.id, kind: outcome.summary_kind, template: template.name });
      return { ...result, path: files.summaryFile, previous_path: previous };
    });
  }

  /** `meeting.transcript` (docs/protocol.md#meeting-transcript): the segments with their times, for export. */
  async transcript(id: string, rootParam: string | undefined): Promise<MeetingTranscriptResult> {
    return transcriptOf(await this.get(id, rootParam));
  }

  /**
   * `meeting.delete` (host role, docs/protocol.md#meeting-delete): the meeting's directory and the memory facts its
   * transcript fed. Only a directory with a valid `meeting.json` is a meeting (issue 26,
   * defect 5: `root` = the state root once made `run/` and `memory/` deletable).
   */
  async delete(params: DeleteParams, caller: ClientSession): Promise<MeetingDeleteResult> {
    if (!caller.hasHostRights) throw forbidden(`deleting meeting '${params.id}' needs a host-role session (host_token); \`car meeting rm\` signs in with it`);
    const files = await this.settledFiles(params.id, params.root, 'delete');
    return this.directoryWork.run(files.dir, async () => {
      const metadata = await this.stoppedMetadata(files, params.root, 'delete');
      const factIds = (await files.readTranscript()).map((line) => meetingFactId(params.id, line.index));
      await files.remove();
      this.stopped.delete(params.id);
      const factsDeleted = await this.memory.forgetFacts(metadata.memory_namespace, factIds);
      this.journal.append('meeting_deleted', caller.id, { meeting_id: params.id, facts_deleted: factsDeleted });
      log.info('meeting deleted', { meeting: params.id, facts_deleted: factsDeleted });
      return { id: params.id, deleted: true as const, facts_deleted: factsDeleted };
    });
  }

  released(meeting: LiveMeeting): void {
    if (this.live.get(meeting.id) !== meeting) return;
    this.live.delete(meeting.id);
    this.stopped.set(meeting.id, meeting.files.dir);
  }

  /** As stoppedFiles, after waiting for a meeting that is already stopping (its final pass and files) rather than refusing it. */
  private async settledFiles(id: string, rootParam: string | undefined, action: string): Promise<MeetingFiles> {
    const live = this.live.get(id);
    if (live?.phase === 'stopping') await live.finish({ status: 'stopped', stopReason: 'requested', summarize: false }).catch(() => undefined);
    return this.stoppedFiles(id, rootParam, action);
  }

  /** The directory of a meeting that is not recording (`-32011` while it is). */
  private stoppedFiles(id: string, rootParam: string | undefined, action: string): MeetingFiles {
    const files = new MeetingFiles(join(this.rootFor(rootParam), id));
    if (this.liveAt(files) || this.starting.has(id))
      throw conflict(`meeting '${id}' is still recording; stop it first (car meeting stop ${id}), then ${action} it`, { field: 'id' });
    if (this.core.stateRoot !== null && isStateRootFolder(this.core.stateRoot, files.dir)) {
      throw conflict(`'${files.dir}' is one of the state root's own folders, not a meeting; nothing was changed`, { field: 'id' });
    }
    return files;
  }

  /** The metadata of a stopped meeting (`-32010` when there is no such directory, `-32011` when it holds no valid `meeting.json`). */
  private async stoppedMetadata(files: MeetingFiles, rootParam: string | undefined, action: string): Promise<MeetingMetadata> {
    const read = await files.readMetadata();
    if ('error' in read) {
      if (!(await exists(files.dir)))
        throw notFound(`unknown meeting '${files.id}'${rootParam ? ` in '${rootParam}'` : ''}; list meetings with meeting.list`, { field: 'id' });
      throw conflict(
        `meeting '${files.id}' cannot be ${action}d: ${read.error}; only a directory with a valid meeting.json is a meeting, so nothing was changed`,
        { field: 'id' },
      );
    }
    return this.repairIfStale(files, read.metadata);
  }

  private async create(root: string, params: StartParams, owner: ClientSession, audio: MeetingAudio): Promise<LiveMeeting> {
    for (let attempt = 1; ; attempt++) {
      const id = params.id ?? newMeetingId();
      if (this.live.has(id) || this.starting.has(id))
        throw conflict(`meeting '${id}' is already recording; choose another id, or omit id to get a fresh one`, { field: 'id' });
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

  /** Why `meeting.stop` has nothing to stop: `-32011` for a meeting that exists but is over, `-32010` otherwise. */
  private async notRecording(id: string): Promise<RpcError> {
    if (this.starting.has(id)) return conflict(`meeting '${id}' is still starting; stop it once meeting.start has answered`);
    const dir = this.stopped.get(id) ?? (this.defaultRoot === null ? null : join(this.defaultRoot, id));
    if (dir !== null && (await exists(dir))) {
      const read = await new MeetingFiles(dir).readMetadata();
      const status = 'metadata' in read ? read.metadata.status : 'failed';
      return conflict(`meeting '${id}' is already ${status === 'recording' ? 'interrupted' : status}; there is nothing to stop (read it with meeting.get)`, {
        field: 'meeting_id',
      });
    }
    return notFound(`unknown meeting '${id}'; it is not recording (list meetings with meeting.list)`, { field: 'meeting_id' });
  }

  /** A `recording` meeting that no live meeting owns was cut off by a killed daemon (docs/protocol.md#meeting-lifecycle). */
  private async repairIfStale(files: MeetingFiles, metadata: MeetingMetadata): Promise<MeetingMetadata> {
    if (metadata.status !== 'recording' || this.starting.has(metadata.id) || this.live.has(metadata.id)) return metadata;
    // A final pass the daemon died in the middle of recording never reached meeting.json: the live transcript is the meeting's.
    await files.restoreLiveTranscript();
    const lines = await files.readTranscript();
    const repaired = asInterrupted(metadata, lines);
    await files.writeTranscriptMarkdown(repaired, lines);
    await files.writeMetadata(repaired);
    // The live transcript stays; the recordings kept for a final pass that never ran go unless they were to be kept.
    if (!metadata.persist_audio)
      await files
        .removeAudio()
        .catch((error: Error) => log.warn('interrupted meeting audio could not be removed', { meeting: metadata.id, error: error.message }));
    this.journal.append('meeting_stopped', null, {
      meeting_id: metadata.id,
      status: 'interrupted',
      stop_reason: 'daemon_restart',
      segments: lines.length,
      summarized: false,
    });
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
      await this.repairIfStale(files, read.metadata).catch((error: Error) =>
        log.warn('interrupted meeting cannot be repaired', { meeting: files.id, error: error.message }),
      );
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

  private ownedBy(owner: ClientSession, includeStopping = false): LiveMeeting[] {
    return [...this.live.values()].filter((meeting) => meeting.owner === owner && (includeStopping || meeting.phase === 'recording'));
  }

  private liveAt(files: MeetingFiles): LiveMeeting | undefined {
    const live = this.live.get(files.id);
    return live?.files.dir === files.dir ? live : undefined;
  }

  private rootFor(root: string | undefined): string {
    if (root !== undefined) return this.core.stateRoot === null ? root : confinedMeetingsRoot(this.core.stateRoot, root);
    if (this.defaultRoot === null)
      throw invalidParams('this daemon keeps no state root, so meetings need an explicit root: pass an absolute directory as root', { field: 'root' });
    return this.defaultRoot;
  }
}

/** Is `dir` the state root itself or one of its own folders (run/, memory/, db/, …)? */
function isStateRootFolder(stateRoot: string, dir: string): boolean {
  return dir === stateRoot || Object.values(stateDirs(stateRoot)).includes(dir) || dir === join(stateRoot, 'templates');
}

/** `mtg-<YYYYMMDD>-<6 hex>` (UTC date). */
function newMeetingId(now = new Date()): string {
  return `mtg-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomHex(3)}`;
}
