import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthPolicy } from '../../src/daemon/auth/tokens.js';
import { log } from '../../src/daemon/log.js';
import { LiveMeeting } from '../../src/daemon/meetings/live-meeting.js';
import { MeetingFiles, TranscriptLog, recordingMetadata } from '../../src/daemon/meetings/store.js';
import { ServerState } from '../../src/daemon/state/server-state.js';
import type { TranscriptLine } from '../../src/protocol/meeting.js';
import type { VoiceEvent } from '../../src/protocol/voice.js';
import { tempStateRoot } from '../../test/helpers/paths.js';
import { atLeast, reported, type BenchRow, type BenchSection } from '../harness.js';
import { extractiveHour, listDuringSummaries } from '../support/meeting-summaries.js';
import { summaryQuality } from '../support/summary-quality.js';

const SEGMENTS = 2000;
const ROUNDS = 4;
const TEXT = 'so the plan is to ship the meeting recorder on friday and review the summaries next week';

/**
 * Segments persisted per second, each synced to disk before the next (docs/protocol.md#meetings), against a
 * bare `appendFile` + `fdatasync` loop on a file in the same directory, alternated in
 * rounds so both see the same disk. The second row runs the whole sink chain of a live
 * meeting (memory ingest into a namespace graph, append + sync, forward) against the same loop.
 * Then issue 14's rows: an hour's extractive summary against tokenising it, and `sessions.list`
 * while model summaries go through admission against the idle daemon; and issue 27's: how
 * much of an hour's extractive summary is on topic.
 */
const section: BenchSection = {
  name: 'meetings',
  async run() {
    log.configure({ level: 'error' });
    const stateRoot = tempStateRoot('car-bench-meetings-');
    const state = ServerState.withConfig({ journalDir: join(stateRoot, 'journals'), stateRoot, auth: AuthPolicy.disabled() });
    const owner = state.createSession({ send() {}, close() {}, bufferedAmount: 0 }, 'bench');
    owner.authenticated = true;
    owner.memoryNamespace = 'meetings';
    try {
      const store = { ours: 0, bare: 0 };
      const chain = { ours: 0, bare: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        store.ours += await timed(() => storeAppends(join(stateRoot, 'meetings'), `store-${round}`));
        store.bare += await timed(() => bareAppends(join(stateRoot, `bare-${round}.jsonl`)));
        chain.ours += await timed(() => sinkChain(state, owner, `chain-${round}`));
        chain.bare += await timed(() => bareAppends(join(stateRoot, `bare-chain-${round}.jsonl`)));
      }
      const rate = (ms: number) => (SEGMENTS * ROUNDS) / (ms / 1000);
      const rows: BenchRow[] = [
        atLeast('transcript.jsonl append + fdatasync per segment', 'segments/s', rate(store.ours), rate(store.bare), 0.8),
        reported('sink chain per segment: memory ingest + append + fdatasync + forward', 'segments/s', rate(chain.ours), rate(chain.bare)),
        extractiveHour(),
        ...summaryQuality(),
        await listDuringSummaries(),
      ];
      return rows;
    } finally {
      await state.close('bench_done');
      await rm(stateRoot, { recursive: true, force: true });
    }
  },
};
export default section;

async function timed(run: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

const line = (index: number): TranscriptLine => ({
  index,
  text: TEXT,
  start_ms: index * 3000,
  end_ms: index * 3000 + 2500,
  role: 'unknown',
  at: new Date().toISOString(),
});

async function storeAppends(root: string, id: string): Promise<void> {
  const files = await MeetingFiles.create(root, id);
  const log = await TranscriptLog.open(files.transcriptFile);
  for (let index = 0; index < SEGMENTS; index++) await log.append(line(index));
  await log.close();
}

async function bareAppends(file: string): Promise<void> {
  const handle = await open(file, 'a', 0o600);
  for (let index = 0; index < SEGMENTS; index++) {
    await handle.appendFile(JSON.stringify(line(index)) + '\n');
    await handle.datasync();
  }
  await handle.close();
}

/** A live meeting's sink fed transcript events directly, as its voice session would. */
async function sinkChain(state: ServerState, owner: ReturnType<ServerState['createSession']>, id: string): Promise<void> {
  const files = await MeetingFiles.create(join(state.stateRoot!, 'meetings'), id);
  const metadata = recordingMetadata(files, { title: 'bench', language: 'en', audio_source_kind: 'pcm_push', persist_audio: false });
  const transcript = await TranscriptLog.open(files.transcriptFile);
  const meeting = new LiveMeeting(state.meetings, owner, files, metadata, transcript);
  const sink = meeting.sinkFor(await meeting.addTrack(null, 'pcm_push', null));
  for (let index = 0; index < SEGMENTS; index++) {
    const event: VoiceEvent = {
      type: 'transcript',
      text: `${TEXT} ${index}`,
      duration_ms: 2500,
      role: 'unknown',
      segment_index: index,
      start_ms: index * 3000,
      end_ms: index * 3000 + 2500,
    };
    await sink(event);
  }
  await transcript.close();
}
