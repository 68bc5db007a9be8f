import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_MODEL_DIR } from '../../../src/daemon/voice/engines/sphinx/addon.js';
import { SphinxEngine, idleDecodersOnThread } from '../../../src/daemon/voice/engines/sphinx/engine.js';
import type { SttStream } from '../../../src/daemon/voice/stt-engine.js';
import { engineMissing, goForward } from './recordings.js';

const OPTIONS = { sampleRate: 16000, channels: 1 as const, partials: true };
const HALF_SECOND_BYTES = 16000;

describe('PocketSphinx decoder threads', { skip: engineMissing }, () => {
  it('gives each stream a thread of its own up to `workers`, then shares the least busy', async () => {
    const engine = new SphinxEngine({ modelDir: DEFAULT_MODEL_DIR, workers: 2, idleDecoders: 0, idleMs: 1000 });
    try {
      const streams: SttStream[] = [];
      for (const expected of [1, 2, 2]) {
        streams.push(await engine.open(OPTIONS, () => undefined));
        assert.equal(engine.threadCount(), expected);
      }
      for (const stream of streams) stream.discard();
    } finally {
      await engine.close();
    }
  });

  it("one stream's full-utterance final does not hold up another stream's live pass", async () => {
    const engine = new SphinxEngine({ modelDir: DEFAULT_MODEL_DIR, workers: 2, idleDecoders: 0, idleMs: 1000 });
    try {
      const [speaking, listening] = await Promise.all([engine.open(OPTIONS, () => undefined), engine.open(OPTIONS, () => undefined)]);
      // "go forward ten meters" three times without its last half second of silence: one ~7 s
      // utterance, still open, so `end` runs its full-utterance decode (seconds of CPU).
      const audio = goForward();
      const speech = audio.subarray(0, audio.length - HALF_SECOND_BYTES);
      await speaking!.write(Buffer.concat([speech, speech, speech]));
      const order: string[] = [];
      const finalDecoded = speaking!.end().then(() => order.push('final'));
      const stepDecoded = listening!.write(audio.subarray(0, 3200)).then(() => order.push('live step'));
      await Promise.all([finalDecoded, stepDecoded]);
      assert.deepEqual(order, ['live step', 'final']);
      await listening!.end();
    } finally {
      await engine.close();
    }
  });
});

describe('idle PocketSphinx decoders', () => {
  it('are spread over the threads, the first threads taking what does not divide evenly', () => {
    const shares = (total: number, threads: number) => Array.from({ length: threads }, (_, index) => idleDecodersOnThread(index, total, threads));
    assert.deepEqual(shares(2, 4), [1, 1, 0, 0]);
    assert.deepEqual(shares(0, 4), [0, 0, 0, 0]);
    assert.deepEqual(shares(16, 4), [4, 4, 4, 4]);
    assert.deepEqual(shares(11, 4), [3, 3, 3, 2]);
  });
});
