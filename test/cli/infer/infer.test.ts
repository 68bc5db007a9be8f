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

  it('without -m uses the model `car models ls` gives the default role, as `car infer -h` says (issue 27)', async () => {
    const help = await runCli(['infer', '-h'], daemon.env);
    assert.match(
      help.stdout.replace(/\s+/g, ' '),
      /\[default: the `model` setting, else the most capable model there \(chat template first, then size of the network\), shown with the role "default"\]/,
    );
    const listed = JSON.parse((await runCli(['models', 'ls', '--json'], daemon.env)).stdout) as { models: { name: string; roles: string[] }[] };
    const byRole = listed.models.filter((model) => model.roles.includes('default')).map((model) => model.name);
    assert.equal(byRole.length, 1, JSON.stringify(listed.models));
    const inferred = JSON.parse((await runCli(['infer', 'Once upon a time', '--max-tokens', '4', '--json'], daemon.env)).stdout) as { model_used: string };
    assert.equal(inferred.model_used, byRole[0]);
  });

  it('`car version` prints the CLI and the daemon version', async () => {
    const version = await runCli(['version'], daemon.env);
    assert.equal(version.code, 0, version.stderr);
    assert.match(version.stdout, /^car \d+\.\d+\.\d+ \(linux-\S+, node v\d+\.\d+\.\d+\)\ndaemon \d+\.\d+\.\d+ at ws:\/\/127\.0\.0\.1:\d+\n$/);
    const json = JSON.parse((await runCli(['version', '--json'], daemon.env)).stdout) as { version: string; daemon: { version: string } };
    assert.equal(json.daemon.version, json.version);
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
