import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';
import { conflict } from '../../protocol/errors.js';
import {
  MEETING_ID_PATTERN,
  inTimeOrder,
  meetingMetadata,
  transcriptLine,
  transcriptLines,
  type CorruptMeetingEntry,
  type MeetingEntry,
  type MeetingMetadata,
  type TranscriptLine,
} from '../../protocol/meeting.js';
import { log } from '../log.js';
import { syncDir, writePrivateFileAtomically } from '../private-file.js';

/** The metadata of a meeting that has just started recording into `files`. */
export function recordingMetadata(
  files: MeetingFiles,
  start: Pick<MeetingMetadata, 'title' | 'language' | 'audio_source_kind' | 'persist_audio' | 'memory_namespace'>,
): MeetingMetadata {
  return {
    id: files.id,
    ...start,
    sources: [],
    // A file is read as a recording from the start (long windows); pushed and captured audio gets its final pass at stop.
    transcript_kind: start.audio_source_kind === 'file' ? 'final' : 'live',
    status: 'recording',
    started_at: new Date().toISOString(),
    ended_at: null,
    duration_ms: null,
    stop_reason: null,
    segment_count: 0,
    summary: null,
    summary_error: null,
    summary_kind: null,
    summary_reason: null,
    path: files.dir,
  };
}

/**
 * A meeting's directory (docs/protocol.md#meetings): `meeting.json` replaced atomically, `transcript.jsonl`
 * appended and synced per segment, `transcript.md` / `summary.md` at stop, `audio.wav` on
 * request. Directories are 0700 and files 0600; a crash at any point leaves every file
 * either in its previous state or its next one, and every synced transcript line intact.
 */
export class MeetingFiles {
  constructor(readonly dir: string) {}

  get id(): string {
    return basename(this.dir);
  }

  get metadataFile(): string {
    return join(this.dir, 'meeting.json');
  }

  get transcriptFile(): string {
    return join(this.dir, 'transcript.jsonl');
  }

  get transcriptMarkdownFile(): string {
    return join(this.dir, 'transcript.md');
  }

  get summaryFile(): string {
    return join(this.dir, 'summary.md');
  }

  /** The recording of a meeting of one unlabelled stream (see `streamAudioFile`). */
  get audioFile(): string {
    return join(this.dir, 'audio.wav');
  }

  /** The live transcript, kept beside the final one that replaced it. */
  get liveTranscriptFile(): string {
    return join(this.dir, 'transcript.live.jsonl');
  }

  /** Creates `<root>/<id>/`; an existing directory is a `-32011`, never reused (its transcript would be mixed in). */
  static async create(root: string, id: string): Promise<MeetingFiles> {
    await mkdir(root, { recursive: true, mode: 0o700 });
    const dir = join(root, id);
    try {
      await mkdir(dir, { mode: 0o700 });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') {
        throw conflict(`meeting '${id}' already exists in ${root}; choose another id, or omit id to get a fresh one`, { field: 'id' });
      }
      throw error;
    }
    await syncDir(root);
    return new MeetingFiles(dir);
  }

  writeMetadata(metadata: MeetingMetadata): Promise<void> {
    return writePrivateFileAtomically(this.metadataFile, JSON.stringify(metadata, null, 2) + '\n');
  }

  /** The stored metadata, or why it cannot be read. The directory is the truth for `id` and `path`, should it have been moved. */
  async readMetadata(): Promise<{ metadata: MeetingMetadata } | { error: string }> {
    let text: string;
    try {
      text = await readFile(this.metadataFile, 'utf8');
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      return { error: code === 'ENOENT' ? 'meeting.json is missing' : `meeting.json cannot be read (${code ?? (error as Error).message})` };
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return { error: 'meeting.json is not valid JSON' };
    }
    const checked = storedMetadata.safeParse(parsed);
    if (!checked.success) {
      const issue = checked.error.issues[0]!;
      return { error: `meeting.json is invalid at '${issue.path.join('.') || '(root)'}': ${issue.message}` };
    }
    return { metadata: { ...checked.data, id: this.id, path: this.dir } };
  }

  /** Every complete line of `transcript.jsonl`, in the order spoken. A torn last line (a crash mid-append, never acknowledged) is left out. */
  async readTranscript(): Promise<TranscriptLine[]> {
    let text: string;
    try {
      text = await readFile(this.transcriptFile, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw error;
    }
    const rows = text.split('\n');
    rows.pop();
    const lines: TranscriptLine[] = [];
    let skipped = 0;
    for (const row of rows) {
      const line = parseLine(row);
      if (line) lines.push(line);
      else skipped++;
    }
    if (skipped > 0) log.warn('unreadable transcript lines skipped', { meeting: this.id, skipped });
    return inTimeOrder(lines);
  }

  /**
   * The final pass's transcript becomes `transcript.jsonl`; the live one is copied to
   * `transcript.live.jsonl` first. Both are replaced atomically, so `transcript.jsonl` is
   * always complete: the live one until the final one takes its place.
   */
  async replaceTranscript(lines: readonly TranscriptLine[]): Promise<void> {
    await writePrivateFileAtomically(this.liveTranscriptFile, await readFile(this.transcriptFile, 'utf8'));
    await writePrivateFileAtomically(this.transcriptFile, lines.map((line) => JSON.stringify(line) + '\n').join(''));
  }

  /** Undoes a `replaceTranscript` that meeting.json never heard of (the daemon died before it was recorded): the live transcript is the meeting's. */
  async restoreLiveTranscript(): Promise<void> {
    try {
      await rename(this.liveTranscriptFile, this.transcriptFile);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    await syncDir(this.dir);
  }

  /**
   * Where a stream's recording is kept: `audio.wav` for a meeting of one unlabelled stream,
   * else `audio.<n>-<role>.wav` (n from 1 in the order of `sources`; the role as far as it is
   * safe in a file name).
   */
  streamAudioFile(stream: number, role: string | null): string {
    if (role === null) return this.audioFile;
    const safeRole = role
      .normalize('NFKD')
      .replace(/[^A-Za-z0-9._-]+/g, '_')
      .replace(/^[._]+|_+$/g, '');
    return join(this.dir, `audio.${stream + 1}${safeRole ? `-${safeRole}` : ''}.wav`);
  }

  /** The streams' recordings, once the final pass no longer needs them and nobody asked to keep them. */
  async removeAudio(): Promise<void> {
    const names = await readdir(this.dir).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return [];
      throw error;
    });
    const recordings = names.filter((name) => STREAM_AUDIO_FILE.test(name));
    if (!recordings.length) return;
    await Promise.all(recordings.map((name) => rm(join(this.dir, name), { force: true })));
    await syncDir(this.dir);
  }

  writeTranscriptMarkdown(metadata: MeetingMetadata, lines: readonly TranscriptLine[]): Promise<void> {
    const heading = `# ${metadata.title ?? metadata.id}\n\nMeeting ${metadata.id}, started ${metadata.started_at}.\n\n`;
    const body = lines.length ? transcriptLines(lines).join('\n\n') + '\n' : '_No speech was transcribed._\n';
    return writePrivateFileAtomically(this.transcriptMarkdownFile, heading + body);
  }

  writeSummary(metadata: MeetingMetadata, summary: string): Promise<void> {
    return writePrivateFileAtomically(this.summaryFile, `# Summary: ${metadata.title ?? metadata.id}\n\n${summary}\n`);
  }

  /** Renames `summary.md` to the first free `summary.<n>.md` (n from 1) and returns that path, or `null` when there is no summary yet. */
  async keepPreviousSummary(): Promise<string | null> {
    const taken = new Set(
      (await readdir(this.dir))
        .map((name) => /^summary\.(\d+)\.md$/.exec(name)?.[1])
        .filter(Boolean)
        .map(Number),
    );
    let n = 1;
    while (taken.has(n)) n++;
    const kept = join(this.dir, `summary.${n}.md`);
    try {
      await rename(this.summaryFile, kept);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw error;
    }
    await syncDir(this.dir);
    return kept;
  }

  /** Removes the meeting's directory and everything in it. */
  async remove(): Promise<void> {
    await rm(this.dir, { recursive: true, force: true });
    await syncDir(dirname(this.dir));
  }

  /** Removes a directory this daemon created a moment ago for a meeting that then failed to start. */
  discard(): Promise<void> {
    return rm(this.dir, { recursive: true, force: true });
  }
}

/** `transcript.jsonl`, open for appending; each line is on disk (fdatasync) before `append` resolves. */
export class TranscriptLog {
  private constructor(private readonly handle: FileHandle) {}

  static async open(file: string): Promise<TranscriptLog> {
    const handle = await open(file, 'a', 0o600);
    await syncDir(dirname(file));
    return new TranscriptLog(handle);
  }

  async append(line: TranscriptLine): Promise<void> {
    await this.handle.appendFile(JSON.stringify(line) + '\n');
    await this.handle.datasync();
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}

/** Every meeting directory under `root`, each read once; a corrupt one becomes a `failed` entry instead of an error. */
export async function readMeetings(root: string): Promise<{ files: MeetingFiles; read: Awaited<ReturnType<MeetingFiles['readMetadata']>> }[]> {
  const entries = await readdir(root, { withFileTypes: true });
  const dirs = entries.filter((entry) => entry.isDirectory() && MEETING_ID_PATTERN.test(entry.name)).map((entry) => new MeetingFiles(join(root, entry.name)));
  return Promise.all(dirs.map(async (files) => ({ files, read: await files.readMetadata() })));
}

/** A corrupt meeting as `meeting.list` shows it: its transcript and files stay untouched for the user to rescue. */
export function corruptEntry(files: MeetingFiles, error: string, segmentCount: number): CorruptMeetingEntry {
  return {
    id: files.id,
    title: null,
    status: 'failed',
    started_at: null,
    ended_at: null,
    duration_ms: null,
    stop_reason: null,
    segment_count: segmentCount,
    language: null,
    audio_source_kind: null,
    persist_audio: false,
    sources: [],
    transcript_kind: null,
    summary: null,
    summary_error: null,
    summary_kind: null,
    summary_reason: null,
    path: files.dir,
    error,
  };
}

/** Newest first; corrupt entries, which have no start time, by their directory's modification time. */
export async function newestFirst(entries: MeetingEntry[]): Promise<MeetingEntry[]> {
  const keyed = await Promise.all(
    entries.map(async (entry) => ({
      entry,
      at: entry.started_at
        ? Date.parse(entry.started_at)
        : await stat(entry.path).then(
            (s) => s.mtimeMs,
            () => 0,
          ),
    })),
  );
  return keyed.sort((a, b) => b.at - a.at).map(({ entry }) => entry);
}

/** `audio.wav`, `audio.1-mic.wav`, …: what `streamAudioFile` names. */
const STREAM_AUDIO_FILE = /^audio(\.\d+(-[A-Za-z0-9._-]+)?)?\.wav$/;

/** A line of `transcript.jsonl` as read back: the wire's line, with an index that can only count up from 0. */
const storedTranscriptLine = transcriptLine.extend({ index: z.number().int().min(0) });

function parseLine(row: string): TranscriptLine | null {
  try {
    const checked = storedTranscriptLine.safeParse(JSON.parse(row));
    return checked.success ? checked.data : null;
  } catch {
    return null;
  }
}

/**
 * `meeting.json` as read back: the wire's MeetingMetadata, stricter where a file can hold what the
 * daemon never writes, with the defaults of fields older daemons did not write.
 */
const storedMetadata = meetingMetadata.extend({
  id: z.string().regex(MEETING_ID_PATTERN),
  started_at: z.iso.datetime(),
  ended_at: z.iso.datetime().nullable(),
  duration_ms: z.number().int().min(0).nullable(),
  segment_count: z.number().int().min(0),
  // Absent from meetings recorded before issue 21.
  sources: meetingMetadata.shape.sources.default([]),
  // Absent from meetings recorded before issue 22, whose transcripts were all live.
  transcript_kind: meetingMetadata.shape.transcript_kind.default('live'),
  // Absent from meetings recorded by daemons older than summary kinds.
  summary_kind: meetingMetadata.shape.summary_kind.default(null),
  summary_reason: meetingMetadata.shape.summary_reason.default(null),
});
