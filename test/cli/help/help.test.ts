import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { testEnv } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';

/** Help, typos and completion as a new user meets them; no daemon needed. */
describe('car help', () => {
  const env = testEnv(tempStateRoot());

  it('`car help` and `car -h` show the topics and the root examples', async () => {
    for (const argv of [['help'], ['-h'], ['--help']]) {
      const result = await runCli(argv, env);
      assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /^TOPICS$/m, argv.join(' '));
      assert.match(result.stdout, /^EXAMPLES\n {2}start the daemon in the background\n {4}\$ car daemon start$/m, argv.join(' '));
    }
  });

  it('`car help meeting start` and `car meeting start -h` show the command help', async () => {
    for (const argv of [
      ['help', 'meeting', 'start'],
      ['meeting', 'start', '-h'],
    ]) {
      const result = await runCli(argv, env);
      assert.equal(result.code, 0, `${argv.join(' ')}: ${result.stderr}`);
      assert.match(result.stdout, /^USAGE\n {2}\$ car meeting start \[FILE\]/m, argv.join(' '));
      assert.match(result.stdout, /^EXAMPLES$/m);
      assert.match(result.stdout, /--json/, 'the json flag is listed');
    }
  });

  it('every command answers -h with its usage instead of "Nonexistent flag"', async () => {
    for (const command of [['daemon', 'logs'], ['memory', 'ls'], ['memory', 'rm'], ['config', 'unset'], ['infer']]) {
      const result = await runCli([...command, '-h'], env);
      assert.equal(result.code, 0, `${command.join(' ')} -h: ${result.stderr}`);
      assert.match(result.stdout, new RegExp(`\\$ car ${command.join(' ')}`));
      assert.match(result.stdout, /^EXAMPLES$/m);
    }
  });

  it('a mistyped command suggests the closest one and exits 127', async () => {
    // oclif wraps the message at 80 columns, continuing with ' ›   '.
    const unwrap = (stderr: string) => stderr.replace(/ ?\n ›\s+/g, ' ');
    const result = await runCli(['sesions', 'ls'], env);
    assert.equal(result.code, 127);
    assert.match(unwrap(result.stderr), /'sesions ls' is not a car command; did you mean `car sessions ls`\?/);
    const topic = await runCli(['memroy', 'count'], env);
    assert.equal(topic.code, 127);
    assert.match(unwrap(topic.stderr), /did you mean `car memory count`\?/);
    const nonsense = await runCli(['xyzzyplugh'], env);
    assert.equal(nonsense.code, 127);
    assert.match(unwrap(nonsense.stderr), /'xyzzyplugh' is not a car command; run `car help` for the list/, 'nothing close enough to suggest');
  });

  it('offers shell completion', async () => {
    const result = await runCli(['autocomplete', 'bash'], env);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /car autocomplete/);
  });
});
