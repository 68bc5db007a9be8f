import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { daemonConfig, daemonVariables } from '../../src/config/daemon.js';
import { readEnvironment } from '../../src/config/environment.js';
import { ConfigError } from '../../src/errors.js';

const flags = { bind: '127.0.0.1', allowRemote: false, auth: true, approvals: true };
const configFrom = (env: Record<string, string>) => daemonConfig(flags, readEnvironment(env), {}, '/tmp/car-config-test');

/** Issue 26, item 2: log rotation and journal retention limits come from the configuration. */
describe('log and journal limits in the daemon configuration', () => {
  it('leaves the defaults to the log file and the journal when unset', () => {
    const config = configFrom({});
    assert.deepEqual(config.logLimits, { rotateBytes: undefined, keepFiles: undefined });
    assert.deepEqual(config.state.journalLimits, { rotateBytes: undefined, keepBytes: undefined });
  });

  it('reads CAR_LOG_ROTATE_MIB, CAR_LOG_KEEP_FILES, CAR_JOURNAL_ROTATE_MIB and CAR_JOURNAL_KEEP_MIB, and hands them to a restart', () => {
    const env = { CAR_LOG_ROTATE_MIB: '2', CAR_LOG_KEEP_FILES: '0', CAR_JOURNAL_ROTATE_MIB: '8', CAR_JOURNAL_KEEP_MIB: '100' };
    const config = configFrom(env);
    assert.deepEqual(config.logLimits, { rotateBytes: 2 * 1024 * 1024, keepFiles: 0 });
    assert.deepEqual(config.state.journalLimits, { rotateBytes: 8 * 1024 * 1024, keepBytes: 100 * 1024 * 1024 });
    assert.deepEqual(daemonVariables(readEnvironment(env)), env);
  });

  it('refuses a value that is not a whole number, naming the variable and the default', () => {
    for (const [name, value] of [
      ['CAR_LOG_ROTATE_MIB', '0'],
      ['CAR_LOG_KEEP_FILES', '-1'],
      ['CAR_JOURNAL_ROTATE_MIB', '1.5'],
      ['CAR_JOURNAL_KEEP_MIB', 'lots'],
    ] as const) {
      assert.throws(
        () => configFrom({ [name]: value }),
        (error: unknown) => error instanceof ConfigError && error.message.startsWith(`${name} must be a whole number`) && /unset it for/.test(error.hint ?? ''),
        name,
      );
    }
  });
});

describe('CAR_SPHINX_IDLE_DECODERS', () => {
  it('sets the loaded PocketSphinx decoders kept between voice sessions, and is handed to a restart', () => {
    assert.equal(configFrom({}).state.voice?.idleDecoders, undefined);
    const env = { CAR_SPHINX_IDLE_DECODERS: '16' };
    assert.equal(configFrom(env).state.voice?.idleDecoders, 16);
    assert.equal(configFrom({ CAR_SPHINX_IDLE_DECODERS: '0' }).state.voice?.idleDecoders, 0);
    assert.deepEqual(daemonVariables(readEnvironment(env)), env);
  });

  it('refuses a value that is not a whole number, naming the variable and the default', () => {
    for (const value of ['-1', '2.5', 'many']) {
      assert.throws(
        () => configFrom({ CAR_SPHINX_IDLE_DECODERS: value }),
        (error: unknown) =>
          error instanceof ConfigError &&
          error.message === `CAR_SPHINX_IDLE_DECODERS must be a whole number of decoders (at least 0), got '${value}'` &&
          error.hint === 'unset it for one per core (at most 2)',
        value,
      );
    }
  });
});
