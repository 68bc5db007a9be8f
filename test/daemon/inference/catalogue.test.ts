import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ModelCatalogue } from '../../../src/daemon/inference/catalogue.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';

const STORIES = join(SHARED_MODELS, 'stories260K.gguf');
const TINY_LLAMA = join(SHARED_MODELS, 'llama-2-tiny-random.gguf');

/** The catalogue keeps its listing between calls; every change to the directory must still show. */
describe('model catalogue listing', () => {
  const listed = async (catalogue: ModelCatalogue) =>
    (await catalogue.list()).models.filter((model) => model.source === 'local').map((model) => `${model.name}:${model.context_length}`);

  it('sees a model added, rewritten in place and removed between two calls', async () => {
    const dir = join(tempStateRoot(), 'models');
    mkdirSync(dir, { recursive: true });
    copyFileSync(STORIES, join(dir, 'a.gguf'));
    const catalogue = new ModelCatalogue(dir, null);
    assert.deepEqual(await listed(catalogue), ['a:128']);
    assert.equal((await catalogue.resolve('generation', 'a')).name, 'a');

    copyFileSync(STORIES, join(dir, 'b.gguf'));
    assert.deepEqual(await listed(catalogue), ['a:128', 'b:128']);

    // Same name, other model: the directory itself does not change.
    copyFileSync(TINY_LLAMA, join(dir, 'a.gguf'));
    assert.deepEqual(await listed(catalogue), ['a:4096', 'b:128']);

    rmSync(join(dir, 'b.gguf'));
    assert.deepEqual(await listed(catalogue), ['a:4096']);
    await assert.rejects(catalogue.resolve('generation', 'b'), /unknown model 'b'/);
  });
});
