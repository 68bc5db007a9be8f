import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';

/** `car infer` against a real daemon with the shared tiny models. */
describe('car infer', () => {
  let daemon: DaemonProcess;
  before(async () => {
    daemon = await startDaemon();
  });
  after(() => daemon.stop());

  const story = ['-m', 'stories260K', '--temperature', '0', '--max-tokens', '24'];

  it('reads the prompt from stdin with `-`, and gives the same text as the prompt argument', async () => {
    const fromStdin = await runCli(['infer', '-', ...story], daemon.env, 'Once upon a time');
    assert.equal(fromStdin.code, 0, fromStdin.stderr);
    assert.match(fromStdin.stdout, /Lily/);
    const fromArgument = await runCli(['infer', 'Once upon a time', ...story], daemon.env);
    assert.equal(fromArgument.stdout, fromStdin.stdout);
  });

  it('--json returns the infer result, streamed or not', async () => {
    for (const extra of [[], ['--stream']]) {
      const result = await runCli(['infer', 'Once upon a time', ...story, '--json', ...extra], daemon.env);
      assert.equal(result.code, 0, result.stderr);
      const parsed = JSON.parse(result.stdout) as { text: string; model_used: string };
      assert.equal(parsed.model_used, 'stories260K');
      assert.match(parsed.text, /Lily/);
    }
  });
});
