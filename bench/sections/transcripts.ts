import type { CarClient } from '../../src/client/node.js';
import { sendAudio, transcribe } from '../../src/client/workflows/voice.js';
import { concatSamples, samplesOf } from '../../src/audio/frames.js';
import { engineMissing, recordingsWithReferences, type Recording } from '../../test/daemon/voice/recordings.js';
import { atMost, reported, underLimit, type BenchRow, type BenchSection } from '../harness.js';
import { batchDecode, devsetRecordings, errorRate } from '../support/devset.js';
import { startDaemon } from '../support/processes.js';

/** Issue 22's bar for the 12 testdata recordings: today's WER from `car voice transcribe`. */
const TESTDATA_WER_LIMIT = 23.8;
/** Between the recordings of the meeting built from the set: a pause as people take turns. */
const MEETING_PAUSE_SAMPLES = 1.5 * 16000;

/**
 * Transcript quality (issue 22): word error rate of files (`car voice transcribe <file>`),
 * live streams and a meeting's final transcript, each against PocketSphinx's own batch
 * decoder on the same recordings with the same model. WER does not depend on the machine's
 * load, so these rows need no interleaving.
 */
const section: BenchSection = {
  name: 'transcripts',
  async run() {
    if (engineMissing) throw new Error(`the transcripts bench needs the speech engine: ${engineMissing}`);
    const devset = devsetRecordings();
    const testdata = recordingsWithReferences();
    const batchDevset = batchDecode(devset);
    const batchTestdata = batchDecode(testdata);
    const batchWer = errorRate(devset, batchDevset);
    const daemon = await startDaemon();
    const client = await daemon.connect();
    try {
      const files = await eachThrough(devset, (pcm) => asFile(client, pcm));
      const live = await eachThrough(devset, (pcm) => asLiveStream(client, pcm));
      const meeting = joinedAsMeeting(devset);
      const meetingText = await asMeeting(client, meeting.pcm);
      const testdataFiles = await eachThrough(testdata, (pcm) => asFile(client, pcm));
      const testdataLive = await eachThrough(testdata, (pcm) => asLiveStream(client, pcm));
      const testdataBatch = errorRate(testdata, batchTestdata);
      const label = `${devset.length} dev-set recordings`;
      return [
        atMost(`WER, ${label}: car voice transcribe <file> vs pocketsphinx_batch (whole file)`, '%', errorRate(devset, files), batchWer, 1.05),
        atMost(`WER, ${label}: live stream finals vs pocketsphinx_batch (whole file)`, '%', errorRate(devset, live), batchWer, 1.2),
        atMost(`WER, ${label} as one meeting (${Math.round(meeting.pcm.length / 16000)} s): final transcript vs pocketsphinx_batch per file`, '%', errorRate([meeting], [meetingText]), batchWer, 1.05),
        underLimit(`WER, ${testdata.length} testdata recordings: car voice transcribe <file> (vs pocketsphinx_batch)`, '%', errorRate(testdata, testdataFiles), testdataBatch, TESTDATA_WER_LIMIT),
        reported(`WER, ${testdata.length} testdata recordings: live stream finals vs pocketsphinx_batch`, '%', errorRate(testdata, testdataLive), testdataBatch),
      ] satisfies BenchRow[];
    } finally {
      client.close();
      await daemon.stop();
    }
  },
};
export default section;

async function eachThrough(recordings: Recording[], decode: (pcm: Buffer) => Promise<string>): Promise<string[]> {
  const texts: string[] = [];
  for (const recording of recordings) texts.push(await decode(recording.pcm));
  return texts;
}

const input = (pcm: Buffer) => ({ sampleRate: 16000, channels: 1 as const, pcm: (async function* () { yield pcm; })() });

/** What `car voice transcribe <file>` does. */
async function asFile(client: CarClient, pcm: Buffer): Promise<string> {
  return (await transcribe(client, input(pcm), { realtime: false, partials: false, onEvent: () => undefined })).text;
}

/** A live stream (`--stream`, partials on); sent as fast as it is decoded, which gives the same text as real-time pace. */
async function asLiveStream(client: CarClient, pcm: Buffer): Promise<string> {
  return (await transcribe(client, input(pcm), { realtime: false, partials: true, onEvent: () => undefined })).text;
}

/** What `car meeting start <file>` does: the audio pushed to a meeting, then its final transcript from meeting.stop. */
async function asMeeting(client: CarClient, pcm: Buffer): Promise<string> {
  const started = await client.call('meeting.start', { title: 'dev set', audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 1 } });
  await sendAudio(client, started.voice_session_id!, input(pcm), { signal: new AbortController().signal });
  const stopped = await client.call('meeting.stop', { meeting_id: started.id, summarize: false });
  return stopped.transcript.map((line) => line.text).join(' ');
}

/** The set's recordings one after another with a pause between them, as one meeting's audio. */
function joinedAsMeeting(recordings: Recording[]): Recording {
  const pause = new Int16Array(MEETING_PAUSE_SAMPLES);
  const samples = concatSamples(recordings.flatMap((recording) => [samplesOf(recording.pcm), pause]));
  return { name: 'dev set as a meeting', pcm: Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength), reference: recordings.map((recording) => recording.reference).join(' ') };
}
