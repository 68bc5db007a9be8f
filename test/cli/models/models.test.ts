import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { httpServer, type HttpServer } from '../../helpers/model-server.js';
import { startOpenAiServer, type OpenAiServer } from '../../helpers/openai-server.js';
import { CTRL_C, runInTerminal } from '../../helpers/terminal.js';
import { waitFor } from '../../helpers/wait.js';

/** `car models pull|add|ls|rm` as a user runs them, against a real daemon process (issues 24, 26, 27). */
describe('car models', () => {
  let daemon: DaemonProcess;
  let openai: OpenAiServer;
  let slow: HttpServer;

  before(async () => {
    // A long stall deadline, so what ends a hung pull below is the stop or Ctrl-C, never the deadline.
    [daemon, openai] = await Promise.all([startDaemon({ env: { CAR_PULL_STALL_SECS: '600' } }), startOpenAiServer()]);
    slow = await httpServer((_request, response) => response.writeHead(200, { 'content-length': '100000000' }).write(Buffer.alloc(64 * 1024)));
  });
  after(async () => {
    await daemon.stop();
    await Promise.all([openai.close(), slow.close()]);
  });

  it('adds a remote model, lists it beside the local ones, uses it, and removes it', async () => {
    const added = await runCli(['models', 'add', 'gpu', '--url', openai.url, '--model', 'stories260K', '--role', 'chat,summary'], daemon.env);
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stdout, /^added gpu: stories260K at http:\/\/127\.0\.0\.1:\d+\/v1 \(roles: default, summary\)/);
    const listed = await runCli(['models', 'ls'], daemon.env);
    assert.match(listed.stdout, /^gpu\s+remote\s+-\s+-\s+4096\s+yes\s+yes\s+default,summary$/m);
    assert.match(listed.stdout, /^stories260K\s+local\s+1\.2 MB\s+llama\s+128\s+no\s+-\s+embedding$/m);
    assert.match(listed.stdout, /^gpu: stories260K at http:\/\/127\.0\.0\.1:\d+\/v1, ok$/m);
    const json = JSON.parse((await runCli(['models', 'ls', '--json'], daemon.env)).stdout) as {
      models: { name: string; source: string; reachable?: boolean }[];
    };
    assert.deepEqual(
      json.models.find((model) => model.name === 'gpu'),
      { ...json.models.find((model) => model.name === 'gpu'), source: 'remote', reachable: true },
    );
    assert.equal((await runCli(['config', 'set', 'summary.model', 'gpu'], daemon.env)).code, 0, 'a remote name is a valid model setting');
    const inferred = await runCli(['infer', 'Once upon a time', '--temperature', '0', '--max-tokens', '12'], daemon.env);
    assert.match(inferred.stdout, /Lily/);
    assert.equal(
      (await runCli(['models', 'add', 'bad', '--url', openai.url, '--model', 'x', '--role', 'chat,cooking'], daemon.env)).stderr.split('\n')[0],
      "Error: unknown role 'cooking'",
    );
    const removed = await runCli(['models', 'rm', 'gpu'], daemon.env);
    assert.equal(removed.stdout, 'deleted model gpu\n');
    assert.doesNotMatch((await runCli(['models', 'ls'], daemon.env)).stdout, /^gpu/m);
  });

  it('fails a pull at once with its cause, and logs every pull and its outcome', async () => {
    const closed = await httpServer(() => undefined);
    const url = `${closed.url}/x.gguf`;
    await closed.close();
    const pulled = await runCli(['models', 'pull', url], daemon.env);
    assert.equal(pulled.code, 1);
    assert.match(pulled.stderr, /cannot pull 'http:\/\/127\.0\.0\.1:\d+\/x\.gguf': connection refused \(ECONNREFUSED\)/);
    assert.match(daemon.logs(), /INFO  model pull started session=sess-\w+ source=http:\/\/127\.0\.0\.1:\d+\/x\.gguf file=x\.gguf/);
    assert.match(
      daemon.logs(),
      /WARN  model pull failed session=sess-\w+ file=x\.gguf kind=unreachable cause=cannot pull .* connection refused \(ECONNREFUSED\)/,
    );
  });

  it('Ctrl-C at a terminal stops a pull and keeps the partial file', async () => {
    const terminal = runInTerminal(`car models pull ${slow.url}/big.gguf`, daemon.env);
    await terminal.waitFor(/KB|MB/, 20_000);
    terminal.press(CTRL_C);
    const code = await terminal.exited;
    const output = terminal.screen();
    assert.equal(code, 130, output);
    assert.match(output, /interrupted; the partial file is kept, run the same pull again to resume/);
    await waitFor(
      () =>
        /model pull failed session=sess-\w+ file=big\.gguf kind=interrupted cause=the pull of .* was interrupted; 65536 bytes are kept in big\.gguf\.partial/.test(
          daemon.logs(),
        ),
      'the daemon to log the interruption',
    );
  });

  it('`car daemon stop` does not wait for a hung pull', async () => {
    const client = await daemon.connect({ asHost: true });
    const hung = client.call('models.pull', { uri: `${slow.url}/hung.gguf` }).catch((error: Error) => error);
    await waitFor(() => daemon.logs().includes('file=hung.gguf'), 'the pull to start');
    const stopped = await runCli(['daemon', 'stop', '--timeout', '30'], daemon.env);
    assert.match(stopped.stdout, /^stopped \(pid \d+\)/);
    assert.ok((await hung) instanceof Error);
    assert.doesNotMatch(daemon.logs(), /second stop signal/, 'the daemon exited on the first request');
    assert.match(daemon.logs(), /model pull failed .*file=hung\.gguf kind=interrupted/);
    client.close();
  });
});
