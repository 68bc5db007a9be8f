import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VoiceEvent } from '../../../src/protocol/voice.js';
import { UtteranceSegmenter } from '../../../src/daemon/voice/segmenter.js';
import { DEFAULT_MODEL_DIR, createDecoder, sphinxModel } from '../../../src/daemon/voice/sphinx-addon.js';
import { GO_FORWARD_WORDS, engineMissing, goForward } from './recordings.js';
import { samplesOf, textWords } from './support.js';

/** Decodes `samples` fed in pieces of `piece` samples with a fresh decoder. */
function decode(samples: Int16Array, piece: number): VoiceEvent[] {
  const decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR));
  try {
    const events: VoiceEvent[] = [];
    const segmenter = new UtteranceSegmenter(decoder, true, (event) => events.push(event));
    for (let offset = 0; offset < samples.length; offset += piece) segmenter.process(samples.subarray(offset, offset + piece));
    segmenter.flush();
    return events;
  } finally {
    decoder.free();
  }
}

describe('PocketSphinx engine alone (addon + segmenter)', { skip: engineMissing }, () => {
  it('splits the recording into an utterance with partials, times it, and does not depend on how the audio was chunked', () => {
    const samples = samplesOf(goForward());
    const whole = decode(samples, samples.length);
    const final = whole.find((event) => event.type === 'transcript');
    assert.ok(final && final.type === 'transcript');
    assert.ok(GO_FORWARD_WORDS.filter((word) => textWords(final.text).includes(word)).length >= 3, final.text);
    assert.ok(final.start_ms >= 0 && final.start_ms < 800 && final.end_ms > 1800 && final.end_ms <= 2786, `${final.start_ms}-${final.end_ms} ms`);
    assert.deepEqual(decode(samples, 333), whole, 'odd-sized chunks give the same events');
  });

  it('refuses a model directory that is not a model with the library’s reason, without taking the process down', () => {
    assert.throws(() => createDecoder(sphinxModel('/nonexistent/model')), /^Error: PocketSphinx could not load its model: .*does not contain acoustic model definition 'mdef'/);
  });
});
