import { join } from 'node:path';
import { getLlama, LlamaCompletion, LlamaLogLevel, type LlamaContext } from 'node-llama-cpp';
import { contextSizeFor } from '../../src/daemon/inference/generation-model.js';
import { threadBudget } from '../../src/daemon/inference/llama.js';
import { MIN_TEXT_INTERVAL_MS } from '../../src/daemon/inference/stream-events.js';
import { SHARED_MODELS } from '../../test/helpers/paths.js';
import { atLeast, type BenchRow, type BenchSection } from '../harness.js';
import { startDaemon } from '../support/processes.js';
import { add, perSecond, timed, zero } from '../support/throughput.js';

const MODEL = 'stories260K';
const PROMPT = 'Once upon a time';
const MAX_TOKENS = 100;
// 100 calls of each kind: with 30, one call's tail (30-95 ms for the same 100 tokens on this VM) moved a ratio by ±5 % between runs; with 100, by ±1.5 %.
const ROUNDS = 10;
const CALLS_PER_ROUND = 10;

/**
 * Tokens/s of `infer` / `infer_stream` through a real daemon against node-llama-cpp in this
 * process with the same model, thread count, context shape and sampling. The two run in
 * alternating rounds, so drift on the shared cores hits both alike.
 */
const section: BenchSection = {
  name: 'inference',
  async run() {
    const daemon = await startDaemon();
    const client = await daemon.connect();
    const { permits_total: sequences } = await client.call('admission.status', {});
    const llama = await getLlama({ build: 'never', logLevel: LlamaLogLevel.error });
    llama.maxThreads = threadBudget(llama.cpuMathCores);
    const model = await llama.loadModel({ modelPath: join(SHARED_MODELS, `${MODEL}.gguf`) });
    const context = await model.createContext({ sequences, contextSize: contextSizeFor(model.trainContextSize) });
    const request = { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0 };
    try {
      const totals = { infer: zero(), stream: zero(), inProcess: zero(), inProcessChunks: zero() };
      await client.call('infer', request);
      await inProcess(context, false);
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < CALLS_PER_ROUND; i++) {
          add(totals.infer, await timed(async () => (await client.call('infer', request)).usage.output_tokens));
          add(totals.inProcess, await timed(() => inProcess(context, false)));
          add(totals.stream, await timed(async () => (await client.call('infer_stream', request)).usage!.output_tokens));
          add(totals.inProcessChunks, await timed(() => inProcess(context, true)));
        }
      }
      const label = `${MODEL}, greedy, ${MAX_TOKENS} tokens, ${llama.maxThreads} thread(s), ${ROUNDS * CALLS_PER_ROUND} calls`;
      const rows: BenchRow[] = [
        atLeast(`infer tokens/s: daemon vs in-process node-llama-cpp (${label})`, 'tok/s', perSecond(totals.infer), perSecond(totals.inProcess), 0.9),
        atLeast(
          `infer_stream tokens/s (text events as generated, at most one per ${MIN_TEXT_INTERVAL_MS} ms) vs in-process with onTextChunk`,
          'tok/s',
          perSecond(totals.stream),
          perSecond(totals.inProcessChunks),
          0.9,
        ),
      ];
      return rows;
    } finally {
      client.close();
      await context.dispose();
      await model.dispose();
      await llama.dispose();
      await daemon.stop();
    }
  },
};
export default section;

async function inProcess(context: LlamaContext, streamed: boolean): Promise<number> {
  const sequence = context.getSequence();
  const completion = new LlamaCompletion({ contextSequence: sequence, autoDisposeSequence: false });
  try {
    await completion.generateCompletionWithMeta(PROMPT, { maxTokens: MAX_TOKENS, temperature: 0, onTextChunk: streamed ? () => undefined : undefined });
    return sequence.tokenMeter.usedOutputTokens;
  } finally {
    completion.dispose({ disposeSequence: false });
    await sequence.dispose();
  }
}
