import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelCatalogue } from '../../../src/daemon/inference/catalogue.js';
import { defaultEngines } from '../../../src/daemon/voice/engines/default-engines.js';
import { ENGINES } from '../../../src/daemon/voice/engines/engines.js';
import { ConfigError } from '../../../src/errors.js';
import { SETTINGS_SCHEMA, SETTING_KEYS, parseSetting } from '../../../src/settings.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';

/** The engine list is what settings, `models.list` and the daemon know of the speech engines. */
describe('the speech engine records', () => {
  it('give the daemon its providers, one per record, in the list order', async () => {
    const engines = defaultEngines({ modelsDir: null });
    try {
      assert.deepEqual(
        engines.map((engine) => engine.id),
        ENGINES.map((engine) => engine.provider),
      );
    } finally {
      await Promise.all(engines.map((engine) => engine.close()));
    }
  });

  it("add their settings to the CLI's, checked by the engine that owns them", () => {
    const stateRoot = tempStateRoot('car-engine-settings-');
    const notAModel = join(stateRoot, 'notes.bin');
    writeFileSync(notAModel, 'not a model, just text long enough to fill a header');
    const owned = ENGINES.flatMap((engine) => engine.settings);
    assert.deepEqual(
      owned.map((setting) => setting.key),
      ['whisper.model'],
    );
    for (const setting of owned) {
      assert.ok(SETTING_KEYS.includes(setting.key));
      assert.equal(SETTINGS_SCHEMA[setting.key].description, setting.description);
    }
    assert.equal(
      parseSetting('whisper.model', join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), stateRoot),
      join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'),
    );
    assert.throws(
      () => parseSetting('whisper.model', notAModel, stateRoot),
      (error) =>
        error instanceof ConfigError &&
        error.message === `invalid value '${notAModel}' for whisper.model: it does not start with the ggml magic` &&
        /name a whisper\.cpp model file/.test(error.hint ?? ''),
    );
  });

  it('list their model files in models.list under the role each record declares, and none they do not recognise', async () => {
    const stateRoot = tempStateRoot('car-engine-models-');
    const modelsDir = join(stateRoot, 'models');
    mkdirSync(modelsDir);
    symlinkSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), join(modelsDir, 'speech.bin'));
    writeFileSync(join(modelsDir, 'notes.bin'), 'not a model, just text long enough to fill a header');
    const roles = ENGINES.flatMap((engine) => (engine.modelFiles ? [engine.modelFiles.role] : []));
    assert.deepEqual(roles, ['whisper']);
    const listed = await new ModelCatalogue(modelsDir, stateRoot).list();
    assert.deepEqual(
      listed.models.map((model) => [model.name, model.roles]),
      [['speech', roles]],
    );
  });
});
