import type { MeetingRecord, MeetingStartResult } from '../../protocol/meeting.js';
import type { VoiceEvent } from '../../protocol/voice.js';
import type { Connection } from '../connection.js';
import { sendAudio, type AudioInput } from './voice.js';

/** Recording a meeting over any connection: start, stream the audio, stop (or fetch the record after an engine failure). */

export interface RecordOptions {
  id?: string;
  title?: string;
  summarize: boolean;
  /** Aborting (Ctrl-C) stops reading input; the meeting is then stopped as usual. */
  signal: AbortSignal;
  /** Called once the meeting exists, and for each of its events. */
  onStarted(started: MeetingStartResult): void;
  onEvent(event: VoiceEvent): void;
  /** Called when the input has ended or was interrupted, before the (possibly long) stop; says whether a summary follows. */
  onStopping(summarize: boolean): void;
}

/**
 * Starts a meeting, streams `input` to its voice session as binary frames, and stops it
 * when the input ends or `signal` aborts. An engine failure ends the meeting on the daemon
 * side; the record is then fetched instead.
 */
export async function recordMeeting(client: Connection, input: AudioInput, options: RecordOptions): Promise<{ result: MeetingRecord; failure: string | null }> {
  const started = await client.call('meeting.start', {
    id: options.id,
    title: options.title,
    audio_source: { kind: 'pcm_push', sample_rate: input.sampleRate, channels: input.channels },
    // So that `car meeting stop` from another terminal honours --no-summary given here.
    summarize_on_end: options.summarize,
  });
  let failure: string | null = null;
  const failed = new AbortController();
  // Stopped from elsewhere (`car meeting stop <id>`): stop reading input and report the meeting as it ends.
  let stoppedElsewhere: { summarize: boolean } | null = null;
  client.on('meeting.stopped', ({ meeting_id, summarize }) => {
    if (meeting_id !== started.id) return;
    stoppedElsewhere = { summarize };
    failed.abort();
  });
  client.on('voice.event', ({ meeting_id, event }) => {
    if (meeting_id !== started.id) return;
    if (event.type === 'error' && event.fatal) {
      failure = event.message;
      failed.abort();
    }
    options.onEvent(event);
  });
  options.onStarted(started);
  await sendAudio(client, started.voice_session_id!, input, { signal: AbortSignal.any([options.signal, failed.signal]) });
  const elsewhere = stoppedElsewhere as { summarize: boolean } | null;
  options.onStopping(elsewhere?.summarize ?? options.summarize);
  if (failure !== null) return { result: await endedRecord(client, started.id, false), failure };
  if (elsewhere) return { result: await endedRecord(client, started.id, elsewhere.summarize), failure };
  return { result: await client.call('meeting.stop', { meeting_id: started.id, summarize: options.summarize, end_of_input: !options.signal.aborted }), failure };
}

/**
 * The record of a meeting ended by the daemon (a fatal engine error) or by another client: its
 * status leaves `recording` once the files are final, its summary (when one is coming) after that.
 */
async function endedRecord(client: Connection, meetingId: string, summarizing: boolean): Promise<MeetingRecord> {
  const deadline = Date.now() + (summarizing ? 30 * 60_000 : 10_000);
  for (;;) {
    const record = await client.call('meeting.get', { meeting_id: meetingId });
    const settled = record.status !== 'recording' && (!summarizing || record.summary !== null || record.summary_error !== null);
    if (settled || Date.now() > deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
