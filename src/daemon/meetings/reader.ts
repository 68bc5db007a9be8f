import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { notFound } from '../../protocol/errors.js';
import type { MeetingEntry, MeetingMetadata, MeetingRecord, MeetingTranscriptResult, TranscriptLine } from '../../protocol/meeting.js';
import { corruptEntry, MeetingFiles, newestFirst, readMeetings } from './store.js';

/**
 * Meetings as stored on disk, read-only: what `meeting.list`, `meeting.get` and
 * `meeting.transcript` return for meetings that are not live. The daemon's registry lays its
 * live meetings over them; `car meeting ls/show/export` use them directly when no daemon
 * answers. One reader, so both see the same format.
 */

/** How a caller sees one stored meeting: its own entry, `null` to leave it out, `undefined` for the stored one. */
export type Overlay = (
  files: MeetingFiles,
  read: Awaited<ReturnType<MeetingFiles['readMetadata']>>,
) => Promise<MeetingEntry | null | undefined> | MeetingEntry | null | undefined;

/** Every meeting under `root`, newest first; a corrupt one as a `failed` entry; `[]` when `root` does not exist. */
export async function storedMeetings(root: string, overlay: Overlay = () => undefined): Promise<MeetingEntry[]> {
  let found: Awaited<ReturnType<typeof readMeetings>>;
  try {
    found = await readMeetings(root);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const entries = await Promise.all(
    found.map(async ({ files, read }): Promise<MeetingEntry | null> => {
      const seen = await overlay(files, read);
      if (seen !== undefined) return seen;
      if ('metadata' in read) return read.metadata;
      // A directory removed meanwhile (a start that failed) is no meeting to list.
      return (await exists(files.dir)) ? corruptEntry(files, read.error, (await files.readTranscript().catch(() => [])).length) : null;
    }),
  );
  return newestFirst(entries.filter((entry): entry is MeetingEntry => entry !== null));
}

/** One stored meeting with its transcript (`-32010` when there is no such directory). */
export async function storedMeeting(root: string, id: string, where = ''): Promise<MeetingRecord> {
  const files = new MeetingFiles(join(root, id));
  const read = await files.readMetadata();
  if ('error' in read && !(await exists(files.dir)))
    throw notFound(`unknown meeting '${id}'${where}; list meetings with meeting.list`, { field: 'meeting_id' });
  const transcript = await files.readTranscript();
  if ('error' in read) return { ...corruptEntry(files, read.error, transcript.length), transcript };
  return { ...read.metadata, transcript };
}

/** `meeting.transcript`'s view of a record: the segments with their times, and the summary. */
export function transcriptOf(record: MeetingRecord): MeetingTranscriptResult {
  return {
    id: record.id,
    title: record.title,
    started_at: record.started_at,
    summary: record.summary,
    segments: record.transcript.map(({ index, text, start_ms, end_ms, role }) => ({ index, text, start_ms, end_ms, role })),
  };
}

/** A meeting still `recording` that no daemon records was cut off; this is how it reads once repaired (docs/protocol.md#meeting-lifecycle). */
export function asInterrupted(metadata: MeetingMetadata, lines: readonly TranscriptLine[]): MeetingMetadata {
  // Lines are read in the order spoken; with several streams the last one spoken need not be the last saved.
  const endedAt = lines.reduce((latest, line) => (line.at > latest ? line.at : latest), metadata.started_at);
  return {
    ...metadata,
    status: 'interrupted',
    stop_reason: 'daemon_restart',
    ended_at: endedAt,
    duration_ms: Math.max(0, Date.parse(endedAt) - Date.parse(metadata.started_at)),
    segment_count: lines.length,
  };
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}
