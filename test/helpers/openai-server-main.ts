/**
 * A small OpenAI-compatible server on node-llama-cpp, run as its own process by
 * test/helpers/openai-server.ts (and the bench): `/v1/models`, `/v1/chat/completions` (plain
 * and streamed), `/v1/embeddings`, with real generation on the models of a directory and
 * one thread. A model id `<model>+<fault>` misbehaves on purpose: `500`, `cut` (a few real
 * chunks, then the socket is destroyed), `stall` (headers, then nothing), `429once` (one 429
 * with `retry-after: 1`, then normal). With `--api-key K`, any other key gets a 401 whose
 * message echoes the key it was given, as some servers do. Prints `listening <port>`.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { getLlama, LlamaCompletion, LlamaLogLevel, type LlamaContextSequence, type LlamaEmbeddingContext, type LlamaModel } from 'node-llama-cpp';

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
const stats = { requests: 0, chat: 0, embeddings: 0, aborted: 0 };
const rateLimited = new Set<string>();
/** One sequence per model: requests take turns, as a single-slot server would. */
let turn: Promise<unknown> = Promise.resolve();

const modelIds = () => readdirSync(modelsDir).filter((name) => name.endsWith('.gguf')).map((name) => name.slice(0, -'.gguf'.length)).sort();

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

interface ChatBody {
  model: string;
  messages: { role: string; content: string }[];
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
  max_tokens?: number;
  temperature?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
}

async function chat(body: ChatBody, response: ServerResponse): Promise<void> {
  stats.chat++;
  const [id, fault] = body.model.split('+') as [string, string?];
  if (!modelIds().includes(id)) return sendJson(response, 404, apiError(`The model '${body.model}' does not exist`, 'invalid_request_error', 'model_not_found'));
  if (fault === '500') return sendJson(response, 500, apiError('the test server failed on purpose', 'server_error'));
  if (fault === '429once' && !rateLimited.has(body.model)) {
    rateLimited.add(body.model);
    return sendJson(response, 429, apiError('Rate limit reached, retry after 1 s', 'rate_limit_exceeded'), { 'retry-after': '1' });
  }
  if (fault === 'stall') {
    if (body.stream) response.writeHead(200, { 'content-type': 'text/event-stream' }).flushHeaders();
    return;
  }
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
    // The shared models have no chat template: the turns become one completion prompt, as the daemon's own engine does for them.
    const prompt = body.messages.map((message) => message.content).join('\n\n');
    const completion = new LlamaCompletion({ contextSequence: sequence });
    const inputTokens = model.tokenize(prompt).length;
    let outputTokens = 0;
    await sequence.clearHistory();
    const { response: text, metadata } = await completion.generateCompletionWithMeta(prompt, {
      maxTokens: body.max_tokens ?? 256,
      temperature: body.temperature ?? 0.7,
      topP: body.top_p,
      seed: body.seed,
      customStopTriggers: body.stop,
      signal: abort.signal,
      stopOnAbortSignal: true,
      onToken: (tokens) => (outputTokens += tokens.length),
      onTextChunk: body.stream
        ? (chunk) => {
            const cutHere = ++chunks === 3 && fault === 'cut';
            response.write(frame({ ...(chunks === 1 && { role: 'assistant' }), content: chunk }, null), () => cutHere && response.socket?.destroy());
          }
        : undefined,
    });
    completion.dispose({ disposeSequence: false });
    if (abort.signal.aborted) return;
    const finish = metadata.stopReason === 'maxTokens' ? 'length' : 'stop';
    const usage = { prompt_tokens: inputTokens, completion_tokens: outputTokens, total_tokens: inputTokens + outputTokens };
    if (!body.stream) {
      return sendJson(response, 200, { id: completionId, object: 'chat.completion', created, model: body.model, choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finish }], usage });
    }
    response.write(frame({}, finish));
    if (body.stream_options?.include_usage) response.write(frame({}, null, usage));
    response.end('data: [DONE]\n\n');
  });
}

async function embeddings(body: { model: string; input: string | string[]; encoding_format?: string }, response: ServerResponse): Promise<void> {
  stats.embeddings++;
  if (!modelIds().includes(body.model)) return sendJson(response, 404, apiError(`The model '${body.model}' does not exist`, 'invalid_request_error', 'model_not_found'));
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
    if (presented !== apiKey) return sendJson(response, 401, apiError(`Incorrect API key provided: ${presented ?? '(none)'}`, 'invalid_request_error', 'invalid_api_key'));
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
