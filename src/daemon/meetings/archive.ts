import { join } from 'node:path';
import type { z } from 'zod';
import { conflict, forbidden, invalidParams, notFound, unavailable, type RpcError } from '../../protocol/errors.js';
import type {
  MeetingDeleteResult,
  MeetingEntry,
  MeetingMetadata,
  MeetingRecord,
  MeetingSummarizeResult,
  MeetingTranscriptResult,
  meetingDeleteParams,
  meetingSummarizeParams,
} from '../../protocol/meeting.js';
import { log } from '../log.js';
import { stateDirs } from '../root/state-root.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { MemoryService } from '../memgine/memory-service.js';
import type { JournalWriter } from '../state/capability.js';
import { confinedMeetingsRoot } from './root-confinement.js';
import { meetingFactId } from './live-meeting.js';
import { asInterrupted, exists, storedMeeting, storedMeetings, transcriptOf } from './reader.js';
import { MeetingFiles, readMeetings } from './store.js';
import type { DirectoryQueue } from './directory-queue.js';
import { unhonouredOption, type MeetingSummarizer } from './summarizer.js';
import { loadTemplate } from './templates.js';

type SummarizeParams = z.output<typeof meetingSummarizeParams>;
type DeleteParams = z.output<typeof meetingDeleteParams>;

/** What the archive needs to know of the meetings recording right now (the registry answers). */
export interface LiveMeetings {
  /** The meeting recording into this directory, if one is. */
  at(files: MeetingFiles): { snapshot(): MeetingMetadata } | undefined;
  /** A meeting under this id is starting or recording, in any root. */
  holds(id: string): boolean;
  isStarting(id: string): boolean;
  /** Resolves once a meeting that is stopping under this id has written its files (at once if none is). */
  settled(id: string): Promise<void>;
}

export interface ArchiveDependencies {
  /** `null` for an embedder without a state root (callers must pass `root`). */
  readonly stateRoot: string | null;
  readonly journal: JournalWriter;
  readonly summarizer: MeetingSummarizer;
  readonly memory: Pick<MemoryService, 'forgetFacts'>;
  /** Shared with the registry: the summary written at stop and this archive's summaries and deletes of one directory run one at a time. */
  readonly directoryWork: DirectoryQueue;
  /** Aborts when the daemon shuts down: a summary still running is cancelled. */
  readonly closing: AbortSignal;
  readonly live: LiveMeetings;
}

/**
 * The meetings on disk (docs/protocol.md#meetings), under `<state root>/meetings` or a caller's
 * `root`: listing and reading them (live ones as they record), summarising and deleting
 * stopped ones, and repairing those a killed daemon left `recording`. The registry owns what
 * records; this owns what is stored.
 */
export class MeetingArchive {
  /** Where this run's stopped meetings live, to tell "already stopped" from "unknown" under any root. */
  private readonly stopped = new Map<string, string>();

  constructor(private readonly deps: ArchiveDependencies) {}

  /** `<state root>/meetings`, or `null` for an embedder without a state root. */
  get defaultRoot(): string | null {
    return this.deps.stateRoot === null ? null : stateDirs(this.deps.stateRoot).meetings;
  }

  /** The meetings directory a call names (confined to the state root), else the default one. */
  rootFor(root: string | undefined): string {
    if (root !== undefined) return this.deps.stateRoot === null ? root : confinedMeetingsRoot(this.deps.stateRoot, root);
    if (this.defaultRoot === null)
      throw invalidParams('this daemon keeps no state root, so meetings need an explicit root: pass an absolute directory as root', { field: 'root' });
    return this.defaultRoot;
  }

  async list(rootParam: string | undefined): Promise<{ meetings: MeetingEntry[] }> {
    const root = this.rootFor(rootParam);
    if (rootParam !== undefined && !(await exists(root))) {
      throw notFound(`there is no meetings directory at '${root}'; check root, or omit it for the daemon's own meetings`, { field: 'root' });
    }
    // Read-only (issue 12, defect 6): a stale `recording` is repaired at start by the daemon holding the lock, never by a listing.
    const meetings = await storedMeetings(
      root,
      (files, read) => this.deps.live.at(files)?.snapshot() ?? ('error' in read && this.deps.live.isStarting(files.id) ? null : undefined),
    );
    return { meetings };
  }

  async get(id: string, rootParam: string | undefined): Promise<MeetingRecord> {
    const root = this.rootFor(rootParam);
    const files = new MeetingFiles(join(root, id));
    const live = this.deps.live.at(files);
    if (live) return { ...live.snapshot(), transcript: await files.readTranscript() };
    return storedMeeting(root, id, rootParam ? ` in '${rootParam}'` : '');
  }

  /** `meeting.transcript` (docs/protocol.md#meeting-transcript): the segments with their times, for export. */
  async transcript(id: string, rootParam: string | undefined): Promise<MeetingTranscriptResult> {
    return transcriptOf(await this.get(id, rootParam));
  }

  /**
   * `meeting.summarize` (docs/protocol.md#meeting-summarize): a new summary of a stopped meeting's transcript with a
   * template and language; the summary it replaces is kept as `summary.<n>.md`.
   */
  async summarize(params: SummarizeParams, caller: ClientSession, signal: AbortSignal): Promise<MeetingSummarizeResult> {
    const files = await this.settledFiles(params.id, params.root, 'summarise');
    return this.deps.directoryWork.run(files.dir, async () => {
      const metadata = await this.stoppedMetadata(files, params.root, 'summarise');
      const templatesDir = this.deps.stateRoot === null ? null : join(this.deps.stateRoot, 'templates');
      const template = await loadTemplate(params.template, templatesDir);
      const lines = await files.readTranscript();
      const cancelled = AbortSignal.any([signal, this.deps.closing]);
      const outcome = await this.deps.summarizer.summarize(lines, {
        template,
        language: params.language,
        transcriptLanguage: metadata.language,
        signal: cancelled,
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
        if (cancelled.aborted) throw conflict(`the summary of meeting '${params.id}' was cancelled; the previous summary is unchanged`);
        return result;
      }
      const previous = await files.keepPreviousSummary();
      const updated = { ...metadata, ...outcome };
      await files.writeSummary(updated, outcome.summary);
      await files.writeMetadata(updated);
      this.deps.journal.append('meeting_summarized', caller.id, { meeting_id: params.id, kind: outcome.summary_kind, template: template.name });
      return { ...result, path: files.summaryFile, previous_path: previous };
    });
  }

  /**
   * `meeting.delete` (host role, docs/protocol.md#meeting-delete): the meeting's directory and the memory facts its
   * transcript fed. Only a directory with a valid `meeting.json` is a meeting (issue 26,
   * defect 5: `root` = the state root once made `run/` and `memory/` deletable).
   */
  async delete(params: DeleteParams, caller: ClientSession): Promise<MeetingDeleteResult> {
    if (!caller.hasHostRights) throw forbidden(`deleting meeting '${params.id}' needs a host-role session (host_token); \`car meeting rm\` signs in with it`);
    const files = await this.settledFiles(params.id, params.root, 'delete');
    return this.deps.directoryWork.run(files.dir, async () => {
      const metadata = await this.stoppedMetadata(files, params.root, 'delete');
      const factIds = (await files.readTranscript()).map((line) => meetingFactId(params.id, line.index));
      await files.remove();
      this.stopped.delete(params.id);
      const factsDeleted = await this.deps.memory.forgetFacts(metadata.memory_namespace, factIds);
      this.deps.journal.append('meeting_deleted', caller.id, { meeting_id: params.id, facts_deleted: factsDeleted });
      log.info('meeting deleted', { meeting: params.id, facts_deleted: factsDeleted });
      return { id: params.id, deleted: true as const, facts_deleted: factsDeleted };
    });
  }

  /** A meeting of this run is stored as stopped in `dir`. */
  remember(id: string, dir: string): void {
    this.stopped.set(id, dir);
  }

  /** Why `meeting.stop` has nothing to stop: `-32011` for a meeting that exists but is over, `-32010` otherwise. */
  async whyNotRecording(id: string): Promise<RpcError> {
    if (this.deps.live.isStarting(id)) return conflict(`meeting '${id}' is still starting; stop it once meeting.start has answered`);
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

  /** At daemon start: every meeting of the default root still `recording` was cut off by a killed daemon. */
  async repairDefaultRoot(): Promise<void> {
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

  /** As stoppedFiles, after waiting for a meeting that is already stopping (its final pass and files) rather than refusing it. */
  private async settledFiles(id: string, rootParam: string | undefined, action: string): Promise<MeetingFiles> {
    await this.deps.live.settled(id);
    return this.stoppedFiles(id, rootParam, action);
  }

  /** The directory of a meeting that is not recording (`-32011` while it is). */
  private stoppedFiles(id: string, rootParam: string | undefined, action: string): MeetingFiles {
    const files = new MeetingFiles(join(this.rootFor(rootParam), id));
    if (this.deps.live.at(files) || this.deps.live.isStarting(id))
      throw conflict(`meeting '${id}' is still recording; stop it first (car meeting stop ${id}), then ${action} it`, { field: 'id' });
    if (this.deps.stateRoot !== null && isStateRootFolder(this.deps.stateRoot, files.dir)) {
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

  /** A `recording` meeting that no live meeting owns was cut off by a killed daemon (docs/protocol.md#meeting-lifecycle). */
  private async repairIfStale(files: MeetingFiles, metadata: MeetingMetadata): Promise<MeetingMetadata> {
    if (metadata.status !== 'recording' || this.deps.live.holds(metadata.id)) return metadata;
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
    this.deps.journal.append('meeting_stopped', null, {
      meeting_id: metadata.id,
      status: 'interrupted',
      stop_reason: 'daemon_restart',
      segments: lines.length,
      summarized: false,
    });
    log.info('interrupted meeting repaired', { meeting: metadata.id, segments: lines.length });
    return repaired;
  }
}

/** Is `dir` the state root itself or one of its own folders (run/, memory/, db/, …)? */
function isStateRootFolder(stateRoot: string, dir: string): boolean {
  return dir === stateRoot || Object.values(stateDirs(stateRoot)).includes(dir) || dir === join(stateRoot, 'templates');
}
