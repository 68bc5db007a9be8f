import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { extractiveSummary } from '../../src/daemon/meetings/extractive.js';
import { contentWords } from '../../src/daemon/meetings/text-stats.js';
import { meetingWav } from '../../test/daemon/meetings/support.js';
import { CHATML_TEMPLATE, withStringKey } from '../../test/helpers/gguf.js';
import { SHARED_MODELS, tempStateRoot } from '../../test/helpers/paths.js';
import { percentile, reported, underLimit, type BenchRow } from '../harness.js';
import { startDaemon } from './processes.js';

/** One segment every three seconds for an hour. */
const HOUR_SEGMENTS = 1200;
const SUBJECTS = ['the recorder', 'the summary page', 'the export', 'the release', 'the models list', 'the daemon', 'the budget', 'the roadmap'];
const PHRASES = [
  'we will ship {s} by friday',
  'i think {s} needs more testing',
  'agreed, {s} stays as it is',
  'let us review {s} next week',
  'the problem with {s} is the latency',
  '{s} was merged yesterday',
  'we need to decide who owns {s}',
  'nothing new on {s} today',
];
const SUMMARY_ROUNDS = 5;
const LIST_CALLS = 200;
const SUMMARISATIONS = 3;

/** A deterministic hour of meeting: varied sentences, some with action and decision cues. */
function hourOfTranscript() {
  return Array.from({ length: HOUR_SEGMENTS }, (_, index) => ({
    text: PHRASES[index % PHRASES.length]!.replace('{s}', SUBJECTS[(index * 7) % SUBJECTS.length]!) + ` (item ${index % 97})`,
    start_ms: index * 3000,
  }));
}

/** Median over rounds of the extractive summary of an hour, against tokenising the same text once (its floor). */
export function extractiveHour(): BenchRow {
  const segments = hourOfTranscript();
  const summary: number[] = [];
  const tokenise: number[] = [];
  for (let round = 0; round < SUMMARY_ROUNDS; round++) {
    let started = performance.now();
    for (const segment of segments) contentWords(segment.text);
    tokenise.push(performance.now() - started);
    started = performance.now();
    extractiveSummary(segments);
    summary.push(performance.now() - started);
  }
  const median = (samples: number[]) =>
    percentile(
      [...samples].sort((a, b) => a - b),
      50,
    );
  return underLimit(`extractive summary of a 1-hour transcript (${HOUR_SEGMENTS} segments) vs tokenising it`, 'ms', median(summary), median(tokenise), 1000);
}

/**
 * `sessions.list` p99 while `meeting.summarize` keeps a chat-template model busy through
 * admission, against the same calls on the idle daemon just before.
 */
export async function listDuringSummaries(): Promise<BenchRow> {
  const modelsDir = join(tempStateRoot('car-bench-chat-'), 'models');
  mkdirSync(modelsDir);
  withStringKey(join(SHARED_MODELS, 'llama-2-tiny-random.gguf'), join(modelsDir, 'random-chat.gguf'), 'tokenizer.chat_template', CHATML_TEMPLATE);
  const daemon = await startDaemon({ env: { CAR_MODELS_DIR: modelsDir } });
  try {
    const summariser = await daemon.connect();
    const prober = await daemon.connect();
    const meeting = await summariser.call('meeting.start', { id: 'bench', audio_source: { kind: 'file', path: meetingWav() }, summarize_on_end: false });
    while ((await summariser.call('meeting.get', { meeting_id: meeting.id })).status === 'recording') await new Promise((resolve) => setTimeout(resolve, 100));

    const timeList = async () => {
      const started = performance.now();
      await prober.call('sessions.list', {});
      return performance.now() - started;
    };
    const idle: number[] = [];
    for (let call = 0; call < LIST_CALLS; call++) idle.push(await timeList());

    let summarising = true;
    const summaries = (async () => {
      for (let round = 0; round < SUMMARISATIONS; round++) await summariser.call('meeting.summarize', { id: meeting.id });
      summarising = false;
    })();
    const during: number[] = [];
    while (summarising) during.push(await timeList());
    await summaries;
    summariser.close();
    prober.close();
    const p99 = (samples: number[]) =>
      percentile(
        [...samples].sort((a, b) => a - b),
        99,
      );
    return reported(`sessions.list p99 during ${SUMMARISATIONS} model summaries (${during.length} calls) vs idle`, 'ms', p99(during), p99(idle));
  } finally {
    await daemon.stop();
  }
}
