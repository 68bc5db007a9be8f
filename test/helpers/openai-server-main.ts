/**
 * A small OpenAI-compatible server on node-llama-cpp, run as its own process by
 * test/helpers/openai-server.ts (and the bench): `/v1/models`, `/v1/chat/completions` (plain
 * and streamed), `/v1/embeddings`, with real generation on the models of a directory and
 * one thread. A model id `<model>+<fault>` misbehaves on purpose: `500`, `cut` (a few real
 * chunks, then the socket is destroyed), `stall` (headers, then nothing), `429once` (one 429
 * with `retry-after: 1`, then normal), `paced` (streamed text chunks at most one per
 * `PACED_CHUNK_MS`, as a remote model slower than this one sends them). With `--api-key K`,
 * any other key gets a 401 whose message echoes the key it was given, as some servers do.
 * Prints `listening <port>`.
 *
 * Tools: when a request's `tool_choice` is `required` or names a function and no tool
 * result has come back yet, the server calls a tool: the name (the named one, the only one,
 * or one generated under a grammar of the names) and the arguments generated under a
 * grammar of the tool's JSON Schema, as the daemon's engine forces calls, streamed as
 * `tool_calls` deltas; otherwise it answers in text, tool calls and results joined into the
 * prompt. Like OpenAI it answers 400 to a `tool` message that answers no call, a call left
 * unanswered, a `tool_choice` without `tools` or naming a function not in them. Faults for
 * tools: `eager` (calls whenever `tools` are given, ignoring `tool_choice`, as some servers
 * do), `unconstrained` (arguments generated without a grammar, up to a full stop: not
 * JSON), `loose` (under the schema without its length bounds, as decoders that enforce
 * only types do), `twice` (two calls in one turn), `stranger` (calls `delete_file`, a tool
 * it was not offered, as a model may make up or remember a name).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import {
  getLlama,
  LlamaCompletion,
  LlamaLogLevel,
  type LlamaContextSequence,
  type LlamaEmbeddingContext,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';

/** A `paced` stream's gap between text chunks: longer than the daemon's text-event interval, so each chunk is its own event. */
const PACED_CHUNK_MS = 25;

const { values } = parseArgs({ options: { 'models-dir': { type: 'string' }, 'api-key': { type: 'string' } } });
const modelsDir = values['models-dir']!;
const apiKey = values['api-key'];

const llama = await getLlama({ build: 'never', logLevel: LlamaLogLevel.error });
llama.maxThreads = 1;

interface Loaded {
  model: LlamaModel;
  sequence: LlamaContextSequence;
  embedding: LlamaEmbeddingContext | null;
}
const loaded = new Map<string, Promise<Loaded>>();
/** `tool_choices`: per chat request, its `tool_choice` as JSON (`"auto"` when left out), `-` without `tools`. */
const stats = { requests: 0, chat: 0, embeddings: 0, aborted: 0, tool_choices: [] as string[] };
const rateLimited = new Set<string>();
/** One sequence per model: requests take turns, as a single-slot server would. */
let turn: Promise<unknown> = Promise.resolve();

const modelIds = () =>
  readdirSync(modelsDir)
    .filter((name) => name.endsWith('.gguf'))
    .map((name) => name.slice(0, -'.gguf'.length))
    .sort();

function load(id: string): Promise<Loaded> {
  let entry = loaded.get(id);
  if (!entry) {
    entry = (async () => {
      const model = await llama.loadModel({ modelPath: join(modelsDir, `${id}.gguf`) });
      const context = await model.createContext({ sequences: 1, contextSize: { max: 2048 }, threads: 1 });
      return { model, sequence: context.getSequence(), embedding: null };
    })();
    loaded.set(id, entry);
  }
  return entry;
}

function inTurn<T>(work: () => Promise<T>): Promise<T> {
  const next = turn.then(work, work);
  turn = next.catch(() => undefined);
  return next;
}

function sendJson(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
}

const apiError = (message: string, type: string, code: string | null = null) => ({ error: { message, type, code, param: null } });

async function readBody(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
}

interface ChatMessage {
  role: string;
  content: string | null;
  tool_calls?: { id: string; type: string; function: { name: string; arguments: string } }[];
  tool_call_id?: string;
}

interface ChatTool {
  type: string;
  function: { name: string; description?: string; parameters?: Record<string, unknown> };
}

type ToolChoice = 'auto' | 'none' | 'required' | { type: 'function'; function: { name: string } };

interface ChatBody {
  model: string;
  messages: ChatMessage[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
  tools?: ChatTool[];
  tool_choice?: ToolChoice;
}

/** What OpenAI refuses with a 400 about tools, in its words. */
function invalidToolUse(body: ChatBody): string | null {
  const names = (body.tools ?? []).map((tool) => tool.function?.name);
  if (body.tools?.some((tool) => tool.type !== 'function' || typeof tool.function?.name !== 'string'))
    return "Invalid 'tools': each tool must be { type: 'function', function: { name, … } }";
  if (body.tool_choice !== undefined && !body.tools?.length)
    return "Invalid value for 'tool_choice': 'tool_choice' is only allowed when 'tools' are specified.";
  if (typeof body.tool_choice === 'object' && !names.includes(body.tool_choice.function?.name))
    return `Invalid value for 'tool_choice': function '${body.tool_choice.function?.name}' is not in 'tools'.`;
  let waiting: string[] = [];
  for (const message of body.messages) {
    if (message.role === 'tool') {
      if (!waiting.includes(message.tool_call_id!))
        return "Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.";
      waiting = waiting.filter((id) => id !== message.tool_call_id);
      continue;
    }
    if (waiting.length)
      return `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${waiting.join(', ')}`;
    waiting = (message.tool_calls ?? []).map((call) => call.id);
  }
  return waiting.length
    ? `An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: ${waiting.join(', ')}`
    : null;
}

/** Whether this turn calls a tool: forced and no result back yet, or always for `eager`. */
function callsTool(body: ChatBody, fault: string | undefined): boolean {
  if (!body.tools?.length) return false;
  if (fault === 'eager') return true;
  const forced = body.tool_choice === 'required' || typeof body.tool_choice === 'object';
  return forced && body.messages.at(-1)?.role !== 'tool';
}

/** A turn as prompt text: the model reads its calls as `name(arguments)` and their results as they came. */
function rendered(message: ChatMessage): string {
  const calls = (message.tool_calls ?? []).map((call) => `${call.function.name}(${call.function.arguments})`);
  return [message.content ?? '', ...calls].filter(Boolean).join('\n');
}

async function chat(body: ChatBody, response: ServerResponse): Promise<void> {
  stats.chat++;
  stats.tool_choices.push(body.tools?.length ? JSON.stringify(body.tool_choice ?? 'auto') : '-');
  const [id, fault] = body.model.split('+') as [string, string?];
  if (!modelIds().includes(id))
    return sendJson(response, 404, apiError(`The model '${body.model}' does not exist`, 'invalid_request_error', 'model_not_found'));
  if (fault === '500') return sendJson(response, 500, apiError('the test server failed on purpose', 'server_error'));
  if (fault === '429once' && !rateLimited.has(body.model)) {
    rateLimited.add(body.model);
    return sendJson(response, 429, apiError('Rate limit reached, retry after 1 s', 'rate_limit_exceeded'), { 'retry-after': '1' });
  }
  if (fault === 'stall') {
    if (body.stream) response.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
    return;
  }
  const invalid = invalidToolUse(body);
  if (invalid) return sendJson(response, 400, apiError(invalid, 'invalid_request_error'));
  const abort = new AbortController();
  response.on('close', () => {
    if (!response.writableFinished) {
      stats.aborted++;
      abort.abort();
    }
  });
  const created = Math.floor(Date.now() / 1000);
  const completionId = `chatcmpl-${stats.chat}`;
  const frame = (delta: Record<string, unknown>, finish: string | null, usage?: unknown) =>
    `data: ${JSON.stringify({ id: completionId, object: 'chat.completion.chunk', created, model: body.model, choices: usage ? [] : [{ index: 0, delta, finish_reason: finish }], ...(usage ? { usage } : {}) })}\n\n`;
  if (body.stream) response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
  let chunks = 0;
  await inTurn(async () => {
    if (abort.signal.aborted) return;
    const { model, sequence } = await load(id);
    let inputTokens = 0;
    let outputTokens = 0;
    const generate = async (prompt: string, grammar: LlamaGrammar | undefined, onTextChunk?: (chunk: string) => void, stop = body.stop) => {
      const completion = new LlamaCompletion({ contextSequence: sequence });
      inputTokens += model.tokenize(prompt).length;
      await sequence.clearHistory();
      try {
        return await completion.generateCompletionWithMeta(prompt, {
          maxTokens: body.max_tokens ?? 256,
          temperature: body.temperature ?? 0.7,
          topP: body.top_p,
          seed: body.seed,
          customStopTriggers: grammar ? undefined : stop,
          grammar,
          signal: abort.signal,
          stopOnAbortSignal: true,
          onToken: (tokens) => (outputTokens += tokens.length),
          onTextChunk,
        });
      } finally {
        completion.dispose({ disposeSequence: false });
      }
    };
    // The shared models have no chat template: the turns become one completion prompt, as the daemon's own engine does for them.
    const prompt = body.messages.map(rendered).filter(Boolean).join('\n\n');
    const usage = () => ({ prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens });
    const finishStream = (finish: string) => {
      response.write(frame({}, finish));
      if (body.stream_options?.include_usage) response.write(frame({}, null, usage()));
      response.end('data: [DONE]\n\n');
    };

    if (callsTool(body, fault)) {
      const calls: { id: string; type: 'function'; function: { name: string; arguments: string } }[] = [];
      for (let index = 0; index < (fault === 'twice' ? 2 : 1); index++) {
        const tool = await chooseTool(body, prompt, generate, fault);
        if (abort.signal.aborted) return;
        const call = { id: `call_${stats.chat}_${index}`, type: 'function' as const, function: { name: tool.function.name, arguments: '' } };
        calls.push(call);
        if (body.stream) response.write(frame({ ...(index === 0 && { role: 'assistant', content: null }), tool_calls: [{ index, ...call }] }, null));
        const streamed = (chunk: string) => response.write(frame({ tool_calls: [{ index, function: { arguments: chunk } }] }, null));
        // Without a grammar the call's text ends at the first full stop, as a server's call syntax would end it.
        const generated = await generate(
          `${prompt}\n\nCall ${tool.function.name} with `,
          await argumentsGrammar(tool, fault),
          body.stream ? streamed : undefined,
          ['.'],
        );
        call.function.arguments = generated.response;
        if (abort.signal.aborted) return;
      }
      if (!body.stream) {
        return sendJson(response, 200, {
          id: completionId,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls: calls }, finish_reason: 'tool_calls' }],
          usage: usage(),
        });
      }
      return finishStream('tool_calls');
    }

    const writeChunk = (chunk: string) => {
      const cutHere = ++chunks === 3 && fault === 'cut';
      response.write(frame({ ...(chunks === 1 && { role: 'assistant' }), content: chunk }, null), () => cutHere && response.socket?.destroy());
    };
    const held: string[] = [];
    const { response: text, metadata } = await generate(
      prompt,
      undefined,
      body.stream ? (chunk) => (fault === 'paced' ? held.push(chunk) : writeChunk(chunk)) : undefined,
    );
    for (const chunk of held) {
      if (abort.signal.aborted) return;
      await new Promise((resolve) => setTimeout(resolve, PACED_CHUNK_MS));
      writeChunk(chunk);
    }
    if (abort.signal.aborted) return;
    const finish = metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
    if (!body.stream) {
      return sendJson(response, 200, {
        id: completionId,
        object: 'chat.completion',
        created,
        model: body.model,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }],
        usage: usage(),
      });
    }
    finishStream(finish);
  });
}

type Generate = (prompt: string, grammar: LlamaGrammar | undefined) => Promise<{ response: string }>;

/** The named tool, the only one, or one the model picks under a grammar of the names; for `stranger`, one not offered. */
async function chooseTool(body: ChatBody, prompt: string, generate: Generate, fault: string | undefined): Promise<ChatTool> {
  if (fault === 'stranger') return { type: 'function', function: { name: 'delete_file' } };
  const tools = body.tools!;
  const named = typeof body.tool_choice === 'object' ? body.tool_choice.function.name : null;
  if (named) return tools.find((tool) => tool.function.name === named)!;
  if (tools.length === 1) return tools[0]!;
  const names = tools.map((tool) => tool.function.name);
  const picked = JSON.parse(
    (await generate(`${prompt}\n\nTools: ${names.join(', ')}\nTool: `, await llama.createGrammarForJsonSchema({ enum: names }))).response,
  ) as string;
  return tools.find((tool) => tool.function.name === picked)!;
}

/** The tool's JSON Schema as a grammar (a tool without parameters takes `{}`), unless a fault says otherwise. */
async function argumentsGrammar(tool: ChatTool, fault: string | undefined): Promise<LlamaGrammar | undefined> {
  if (fault === 'unconstrained') return undefined;
  const schema = tool.function.parameters ?? { type: 'object', properties: {} };
  return llama.createGrammarForJsonSchema((fault === 'loose' ? withoutBounds(schema) : schema) as never);
}

const BOUNDS = new Set(['minLength', 'maxLength', 'minItems', 'maxItems']);

function withoutBounds(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(withoutBounds);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema)
      .filter(([key]) => !BOUNDS.has(key))
      .map(([key, value]) => [key, withoutBounds(value)]),
  );
}

async function embeddings(body: { model: string; input: string | string[]; encoding_format?: string }, response: ServerResponse): Promise<void> {
  stats.embeddings++;
  if (!modelIds().includes(body.model))
    return sendJson(response, 404, apiError(`The model '${body.model}' does not exist`, 'invalid_request_error', 'model_not_found'));
  const texts = typeof body.input === 'string' ? [body.input] : body.input;
  await inTurn(async () => {
    const entry = await load(body.model);
    entry.embedding ??= await entry.model.createEmbeddingContext({ contextSize: Math.min(entry.model.trainContextSize, 2048), threads: 1 });
    let tokens = 0;
    const data = [];
    for (const [index, text] of texts.entries()) {
      tokens += entry.model.tokenize(text).length;
      const vector = [...(await entry.embedding.getEmbeddingFor(text)).vector];
      const embedding = body.encoding_format === 'base64' ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      data.push({ object: 'embedding', index, embedding });
    }
    sendJson(response, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: tokens, total_tokens: tokens } });
  });
}

const server = createServer((request, response) => {
  stats.requests++;
  const path = new URL(request.url!, 'http://x').pathname;
  if (path === '/test/stats') return sendJson(response, 200, stats);
  if (apiKey !== undefined) {
    const presented = /^Bearer (.*)$/.exec(request.headers.authorization ?? '')?.[1];
    if (presented !== apiKey)
      return sendJson(response, 401, apiError(`Incorrect API key provided: ${presented ?? '(none)'}`, 'invalid_request_error', 'invalid_api_key'));
  }
  const handle = async () => {
    if (request.method === 'GET' && path === '/v1/models') {
      return sendJson(response, 200, { object: 'list', data: modelIds().map((id) => ({ id, object: 'model', created: 0, owned_by: 'car-test' })) });
    }
    if (request.method === 'POST' && path === '/v1/chat/completions') return chat((await readBody(request)) as unknown as ChatBody, response);
    if (request.method === 'POST' && path === '/v1/embeddings') return embeddings((await readBody(request)) as never, response);
    sendJson(response, 404, apiError(`no route ${request.method} ${path}`, 'invalid_request_error'));
  };
  handle().catch((error: Error) => {
    if (!response.headersSent) sendJson(response, 500, apiError(error.message, 'server_error'));
    else response.destroy();
  });
});
server.listen(0, '127.0.0.1', () => process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`));
process.on('SIGTERM', () => process.exit(0));
