import type { MeetingRecord, MeetingStartResult, MeetingStoppedParams } from '../../protocol/meeting.js';
import type { CaptureSourceSpec, VoiceEvent } from '../../protocol/voice.js';
import type { Connection } from '../connection.js';
import { sendAudio, type AudioInput } from './voice.js';

/** Recording a meeting over any connection: start, stream the audio (or let the daemon record it), stop (or fetch the record after the daemon ended it). */

export interface RecordOptions {
  id?: string;
  title?: string;
  summarize: boolean;
  /** Aborting (Ctrl-C) stops reading input (or waiting, for a captured meeting); the meeting is then stopped as usual. */
  signal: AbortSignal;
  /** Called once the meeting exists, and for each of its events. */
  onStarted(started: MeetingStartResult): void;
  onEvent(event: VoiceEvent): void;
  /** Called when the input has ended or was interrupted, before the (possibly long) stop; says whether a summary follows. */
  onStopping(summarize: boolean): void;
}

export interface PushOptions extends RecordOptions {
  /** A stereo input with one speaker per channel: one stream per channel, labelled by `roles` (default: left, right). */
  splitChannels?: { roles?: string[] };
}

/** How a recording ended: the final record, a fatal engine error, or the daemon's own stop (`device_lost` names the source). */
export interface RecordOutcome {
  result: MeetingRecord;
  failure: string | null;
  /** Set when the meeting was stopped by someone else or by the daemon (a source that vanished). */
  stoppedElsewhere: MeetingStoppedParams | null;
}

/**
 * Starts a meeting, streams `input` to its voice session(s) as binary frames (one channel to
 * each with `splitChannels`), and stops it when the input ends or `signal` aborts.
 */
export async function recordMeeting(client: Connection, input: AudioInput, options: PushOptions): Promise<RecordOutcome> {
  const started = await client.call('meeting.start', {
    id: options.id,
    title: options.title,
    audio_source: {
      kind: 'pcm_push',
      sample_rate: input.sampleRate,
      channels: input.channels,
      ...(options.splitChannels ? { split_channels: true, channel_roles: options.splitChannels.roles } : {}),
    },
    // So that `car meeting stop` from another terminal honours --no-summary given here.
    summarize_on_end: options.summarize,
  });
  const targets = options.splitChannels ? started.sources.map((source) => source.voice_session_id) : [started.voice_session_id!];
  return follow(client, started, options, async (ended) => {
    await sendAudio(client, targets, input, { signal: ended });
    return !ended.aborted;
  });
}

/** Starts a meeting the daemon records from sound-server sources, shows it until `signal` aborts (or the daemon ends it), then stops it. */
export async function recordCapture(client: Connection, sources: CaptureSourceSpec[], options: RecordOptions): Promise<RecordOutcome> {
  const started = await client.call('meeting.start', {
    id: options.id,
    title: options.title,
    audio_source: { kind: 'capture', sources },
    summarize_on_end: options.summarize,
  });
  return follow(client, started, options, async (ended) => {
    await untilAborted(ended);
    return false;
  });
}

/**
 * Hears the meeting's events while `feed` runs (until it ends or the meeting ends), then stops it
 * or fetches how it ended. `feed` says whether its input ran out (a file's end, a closed pipe):
 * the meeting is then stopped as `end_of_file`, not `requested`.
 */
async function follow(
  client: Connection,
  started: MeetingStartResult,
  options: RecordOptions,
  feed: (ended: AbortSignal) => Promise<boolean>,
): Promise<RecordOutcome> {
  let failure: string | null = null;
  const ended = new AbortController();
  let stoppedElsewhere: MeetingStoppedParams | null = null;
  const unsubscribe = [
    client.on('meeting.stopped', (params) => {
      if (params.meeting_id !== started.id) return;
      stoppedElsewhere = params;
      ended.abort();
    }),
    client.on('voice.event', ({ meeting_id, event }) => {
      if (meeting_id !== started.id) return;
      if (event.type === 'error' && event.fatal) {
        failure = event.message;
        ended.abort();
      }
      options.onEvent(event);
    }),
  ];
  try {
    options.onStarted(started);
    const inputEnded = await feed(AbortSignal.any([options.signal, ended.signal]));
    const elsewhere = stoppedElsewhere as MeetingStoppedParams | null;
    options.onStopping(elsewhere?.summarize ?? options.summarize);
    if (failure !== null) return { result: await endedRecord(client, started.id, false), failure, stoppedElsewhere: elsewhere };
    if (elsewhere) return { result: await endedRecord(client, started.id, elsewhere.summarize), failure, stoppedElsewhere: elsewhere };
    return {
      result: await client.call('meeting.stop', { meeting_id: started.id, summarize: options.summarize, end_of_input: inputEnded }),
      failure,
      stoppedElsewhere: null,
    };
  } finally {
    for (const off of unsubscribe) off();
  }
}

const untilAborted = (signal: AbortSignal) =>
  new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener('abort', () => resolve(), { once: true })));

/**
 * The record of a meeting ended by the daemon (a fatal engine error, a lost source) or by another client: its
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
