import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, testEnv } from '../../helpers/daemon.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';

/** `car config set|unset` checks values before storing them. */
describe('car config set/unset', () => {
  it('refuses an empty or out-of-range port instead of storing 0, and unset restores the default', async () => {
    const env = testEnv(tempStateRoot());
    for (const bad of ['', '0', '65536', '9100x']) {
      const result = await runCli(['config', 'set', 'port', bad], env);
      assert.equal(result.code, 2, `port '${bad}'`);
      assert.match(result.stderr, new RegExp(`^Error: invalid value '${bad}' for port: must be a whole number from 1 to 65535\\n`));
    }
    assert.equal((await runCli(['config', 'get', 'port'], env)).code, 1, 'nothing was stored');
    assert.equal((await runCli(['config', 'set', 'port', '65535'], env)).code, 0);
    const unset = await runCli(['config', 'unset', 'port'], env);
    assert.equal(unset.code, 0, unset.stderr);
    assert.equal(unset.stdout, 'port unset (was 65535)\n');
    assert.equal((await runCli(['config', 'get', 'port'], env)).code, 1);
    assert.equal((await runCli(['config', 'unset', 'port'], env)).stdout, 'port was not set\n');
    const unknown = await runCli(['config', 'unset', 'colour'], env);
    assert.equal(unknown.code, 2);
  });

  it('accepts a model of the models directory and refuses an unknown one, listing the available ones', async () => {
    const env = testEnv(tempStateRoot());
    const ok = await runCli(['config', 'set', 'model', 'stories260K'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const bad = await runCli(['config', 'set', 'embedding_model', 'gpt-5'], env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /^Error: invalid value 'gpt-5' for embedding_model: no model 'gpt-5' in \S+\nHint: available: .*stories260K/);
    const url = await runCli(['config', 'set', 'url', 'http://example'], env);
    assert.equal(url.code, 2);
    assert.match(url.stderr, /must start with ws:\/\/ or wss:\/\//);
  });

  it('takes a whisper.cpp file for whisper.model, by name in the models directory, and refuses a .gguf or a missing file', async () => {
    const env = testEnv(tempStateRoot());
    const ok = await runCli(['config', 'set', 'whisper.model', 'for-tests-ggml-tiny.en.bin'], env);
    assert.equal(ok.code, 0, ok.stderr);
    const gguf = await runCli(['config', 'set', 'whisper.model', 'stories260K.gguf'], env);
    assert.equal(gguf.code, 2);
    assert.match(
      gguf.stderr,
      /^Error: invalid value 'stories260K\.gguf' for whisper\.model: it does not start with the ggml magic\nHint: name a whisper\.cpp model file/,
    );
    const missing = await runCli(['config', 'set', 'whisper.model', 'nope.bin'], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /for whisper\.model: it cannot be read \(ENOENT\)/);
  });
});

/** Issue 27, item 7: `car config set models_dir` for every later `car daemon start`. */
describe('the models_dir setting', () => {
  it('is stored absolute, refuses what is not a directory, and is the models directory of later starts unless CAR_MODELS_DIR says otherwise', async () => {
    const stateRoot = tempStateRoot();
    const env = testEnv(stateRoot, { CAR_MODELS_DIR: undefined });
    const models = join(tempStateRoot('car-models-dir-'), 'models');
    mkdirSync(models);
    copyFileSync(join(SHARED_MODELS, 'stories260K.gguf'), join(models, 'tiny-story.gguf'));
    const missing = await runCli(['config', 'set', 'models_dir', join(models, 'nope')], env);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^Error: invalid value '.*nope' for models_dir: .*nope is not a directory\n/);
    const set = await runCli(['config', 'set', 'models_dir', models], env);
    assert.equal(set.code, 0, set.stderr);
    assert.equal(set.stdout, `models_dir = ${models}\n`);

    const names = async (daemonEnv: Record<string, string | undefined>) => {
      const daemon = await startDaemon({ stateRoot, env: daemonEnv });
      try {
        const client = await daemon.connect();
        const listed = await client.call('models.list', {});
        client.close();
        return listed.models.map((model) => model.name);
      } finally {
        await daemon.stop();
      }
    };
    assert.deepEqual(await names({ CAR_MODELS_DIR: undefined }), ['tiny-story']);
    assert.ok((await names({ CAR_MODELS_DIR: SHARED_MODELS })).includes('stories260K'), 'CAR_MODELS_DIR wins');
  });
});
