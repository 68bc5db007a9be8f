import { asInterrupted, storedMeeting, storedMeetings, transcriptOf } from '../daemon/meetings/reader.js';
import { stateDirs } from '../daemon/root/state-root.js';
import type { MeetingEntry, MeetingRecord, MeetingTranscriptResult } from '../protocol/meeting.js';
import { resolveStateRoot } from '../paths.js';

/**
 * `car meeting ls/show/export` when no daemon answers: this state root's meetings, read with
 * the daemon's own reader (src/daemon/meetings/reader.ts). Nothing is written. With no daemon
 * running, a meeting still marked `recording` was cut off; it is shown as the daemon will
 * repair it at its next start (interrupted).
 */
export const offlineMeetings = {
  async list(): Promise<{ meetings: MeetingEntry[] }> {
    return {
      meetings: await storedMeetings(meetingsRoot(), async (files, read) =>
        'metadata' in read && read.metadata.status === 'recording' ? asInterrupted(read.metadata, await files.readTranscript()) : undefined,
      ),
    };
  },

  async get(id: string): Promise<MeetingRecord> {
    const record = await storedMeeting(meetingsRoot(), id);
    return record.status === 'recording' && !('error' in record) ? { ...asInterrupted(record, record.transcript), transcript: record.transcript } : record;
  },

  async transcript(id: string): Promise<MeetingTranscriptResult> {
    return transcriptOf(await this.get(id));
  },
};

const meetingsRoot = () => stateDirs(resolveStateRoot()).meetings;
