import { join } from 'node:path';
import { defineChatSessionFunction, getLlama, LlamaChatSession, LlamaLogLevel, type ChatWrapper, type GbnfJsonSchema, type LlamaContext } from 'node-llama-cpp';
import { contextSizeFor } from '../../src/daemon/inference/generation-model.js';
import { loadLlamaModule, threadBudget } from '../../src/daemon/inference/llama.js';
import { toolCallingWrapper } from '../../src/daemon/inference/tool-calling-wrapper.js';
import { grammarSchema } from '../../src/daemon/inference/tool-chat.js';
import type { ToolSchema } from '../../src/protocol/tools.js';
import { SHARED_MODELS } from '../../test/helpers/paths.js';
import { atLeast, reported, type BenchSection } from '../harness.js';
import { startDaemon } from '../support/processes.js';

const MODEL = 'stories260K';
const PROMPT = 'What is the weather in Paris?';
const MAX_TOKENS = 60;
const ROUNDS = 4;
const CALLS_PER_ROUND = 4;
const TOOL = 'weather';
const PARAMETERS: ToolSchema = { type: 'object', properties: { city: { type: 'string', maxLength: 12 }, days: { enum: [1, 2, 3] } } };
const DESCRIPTION = 'Tells the weather in a city';
const RESULT = { temperature: 21, sky: 'sunny' };

/**
 * One forced tool round trip (the model calls `weather`, the result goes back, the model
 * answers) through a real daemon, whose client answers `tools.execute` over the socket,
 * against node-llama-cpp's own function calling in this process: `LlamaChatSession.prompt`
 * with a `defineChatSessionFunction` handler, on the same model, prompt, context shape,
 * threads and chat wrapper (node-llama-cpp cannot force a call by itself, so both use the
 * daemon's forcing wrapper). Rounds alternate so drift on the shared cores hits both alike.
 */
const section: BenchSection = {
  name: 'tools',
  async run() {
    const daemon = await startDaemon();
    const client = await daemon.connect();
    const { permits_total: sequences } = await client.call('admission.status', {});
    const llama = await getLlama({ build: 'never', logLevel: LlamaLogLevel.error });
    llama.maxThreads = threadBudget(llama.cpuMathCores);
    const model = await llama.loadModel({ modelPath: join(SHARED_MODELS, `${MODEL}.gguf`) });
    const context = await model.createContext({ sequences, contextSize: contextSizeFor(model.trainContextSize) });
    const documented = { [TOOL]: { description: DESCRIPTION, params: grammarSchema(PARAMETERS) } };
    const llamaModule = await loadLlamaModule();
    const wrapper = toolCallingWrapper(llamaModule, llamaModule.resolveChatWrapper(model), documented, true);
    await client.tools.register(TOOL, { description: DESCRIPTION, parameters: PARAMETERS }, () => RESULT);
    const request = { model: MODEL, prompt: PROMPT, max_tokens: MAX_TOKENS, temperature: 0, tools: [TOOL], tool_choice: { name: TOOL } };
    try {
      const viaDaemon = await client.call('infer', request);
      const inProcessText = await inProcess(context, wrapper);
      if (viaDaemon.tool_calls.length !== 1 || viaDaemon.text !== inProcessText) {
        throw new Error(
          `the two sides differ, so the comparison would not be like for like: ${JSON.stringify(viaDaemon.text)} vs ${JSON.stringify(inProcessText)}`,
        );
      }
      const ms = { daemon: 0, inProcess: 0 };
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < CALLS_PER_ROUND; i++) {
          ms.daemon += await timed(() => client.call('infer', request));
          ms.inProcess += await timed(() => inProcess(context, wrapper));
        }
      }
      const calls = ROUNDS * CALLS_PER_ROUND;
      const perSecond = (total: number) => (calls / total) * 1000;
      return [
        atLeast(
          `tool round trips/s: daemon (client answers tools.execute) vs in-process LlamaChatSession function (${MODEL}, forced call, ${MAX_TOKENS} tokens, ${llama.maxThreads} thread(s), ${calls} calls)`,
          'calls/s',
          perSecond(ms.daemon),
          perSecond(ms.inProcess),
          0.8,
        ),
        reported('mean round trip', 'ms', ms.daemon / calls, ms.inProcess / calls),
      ];
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

/** The same call on a fresh sequence each time, as the daemon takes one per call. */
async function inProcess(context: LlamaContext, chatWrapper: ChatWrapper): Promise<string> {
  const sequence = context.getSequence();
  const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper, autoDisposeSequence: false });
  try {
    // No system prompt, as `infer` with only a prompt has none.
    session.setChatHistory([]);
    const functions = {
      [TOOL]: defineChatSessionFunction<GbnfJsonSchema, Record<any, any>>({
        description: DESCRIPTION,
        params: grammarSchema(PARAMETERS),
        handler: () => RESULT,
      }),
    };
    return await session.prompt(PROMPT, { functions, maxTokens: MAX_TOKENS, temperature: 0 });
  } finally {
    session.dispose({ disposeSequence: false });
    await sequence.dispose();
  }
}

async function timed(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return performance.now() - started;
}
