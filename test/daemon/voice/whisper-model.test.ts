import assert from 'node:assert/strict';
import { mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { ModelCatalogue } from '../../../src/daemon/inference/catalogue.js';
import { whisperModelChoice } from '../../../src/daemon/voice/engines/whisper/model-file.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';

/** One rule picks the whisper model for the engine and for `models.list`'s `whisper` role. */
describe('which file is the whisper model', () => {
  const stateRoot = tempStateRoot('car-whisper-choice-');
  const modelsDir = join(stateRoot, 'models');
  mkdirSync(modelsDir);
  // Sorted by name: a text file ending in .bin first, then two loadable whisper.cpp files.
  writeFileSync(join(modelsDir, 'a-notes.bin'), 'not a model, just text long enough to fill a header');
  symlinkSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), join(modelsDir, 'for-tests-ggml-tiny.en.bin'));
  symlinkSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), join(modelsDir, 'later.bin'));
  after(() => rmSync(stateRoot, { recursive: true, force: true }));

  const whisperRole = async () => {
    const listed = await new ModelCatalogue(modelsDir, stateRoot).list();
    return listed.models.filter((model) => model.roles.includes('whisper')).map((model) => [model.name, model.why.whisper]);
  };

  it('without a setting: the first .bin by name with a whisper.cpp header, whatever its name', async () => {
    const why = 'the first whisper.cpp model by name in the models directory';
    assert.deepEqual(whisperModelChoice({ modelsDir, setting: null }), { path: join(modelsDir, 'for-tests-ggml-tiny.en.bin'), why });
    assert.deepEqual(await whisperRole(), [['for-tests-ggml-tiny.en', why]]);
  });

  it('the whisper.model setting wins, for the engine and for models.list alike', async () => {
    writeFileSync(join(stateRoot, 'config.json'), JSON.stringify({ whisper: { model: 'later.bin' } }));
    try {
      const why = 'the `whisper.model` setting';
      assert.deepEqual(whisperModelChoice({ modelsDir, setting: 'later.bin' }), { path: join(modelsDir, 'later.bin'), why });
      assert.deepEqual(await whisperRole(), [['later', why]]);
    } finally {
      rmSync(join(stateRoot, 'config.json'));
    }
  });

  it('a ggml-*.bin that is no whisper.cpp model is chosen only when nothing else is, so its fault is reported', () => {
    const broken = tempStateRoot('car-whisper-broken-');
    try {
      writeFileSync(join(broken, 'ggml-broken.bin'), 'this is not a model at all, just text long enough for a header');
      writeFileSync(join(broken, 'notes.bin'), 'nor is this');
      assert.equal(whisperModelChoice({ modelsDir: broken, setting: null })?.path, join(broken, 'ggml-broken.bin'));
      rmSync(join(broken, 'ggml-broken.bin'));
      assert.equal(whisperModelChoice({ modelsDir: broken, setting: null }), null);
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
