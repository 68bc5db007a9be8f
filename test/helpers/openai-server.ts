import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { SHARED_MODELS } from './paths.js';

export interface OpenAiServer {
  /** The base URL clients are given, ending in /v1. */
  url: string;
  pid: number;
  /**
   * What the server counted: all requests, chat completions, embeddings, generations stopped
   * by a client that left, and each chat request's `tool_choice` as JSON (`-` without `tools`).
   */
  stats(): Promise<{ requests: number; chat: number; embeddings: number; aborted: number; tool_choices: string[] }>;
  close(): Promise<void>;
}

const MAIN = fileURLToPath(new URL('./openai-server-main.js', import.meta.url));

/** Starts test/helpers/openai-server-main.ts in its own process on the shared models (or `modelsDir`), on a free loopback port. */
export async function startOpenAiServer(options: { apiKey?: string; modelsDir?: string } = {}): Promise<OpenAiServer> {
  const args = [MAIN, '--models-dir', options.modelsDir ?? SHARED_MODELS, ...(options.apiKey ? ['--api-key', options.apiKey] : [])];
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the OpenAI-compatible test server did not start: ${output}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => reject(new Error(`the OpenAI-compatible test server exited with ${code}: ${output}`)));
  });
  const exited = once(child, 'exit');
  const origin = `http://127.0.0.1:${port}`;
  return {
    url: `${origin}/v1`,
    pid: child.pid!,
    stats: async () =>
      (await (await fetch(`${origin}/test/stats`, { headers: options.apiKey ? { authorization: `Bearer ${options.apiKey}` } : {} })).json()) as never,
    async close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
