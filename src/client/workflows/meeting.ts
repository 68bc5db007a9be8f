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
  /** Called when the input has ended or was interrupted, before the (possibly long) stop. */
  onStopping(): void;
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
  });
  let failure: string | null = null;
  const failed = new AbortController();
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
  options.onStopping();
  if (failure !== null) return { result: await endedRecord(client, started.id), failure };
  return { result: await client.call('meeting.stop', { meeting_id: started.id, summarize: options.summarize }), failure };
}

/** The record of a meeting the daemon is ending on its own (after a fatal engine error): its status leaves `recording` once the files are final. */
async function endedRecord(client: Connection, meetingId: string): Promise<MeetingRecord> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const record = await client.call('meeting.get', { meeting_id: meetingId });
    if (record.status !== 'recording' || Date.now() > deadline) return record;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
