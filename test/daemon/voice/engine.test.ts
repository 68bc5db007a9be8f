import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { VoiceEvent } from '../../../src/protocol/voice.js';
import { UtteranceSegmenter } from '../../../src/daemon/voice/engines/sphinx/segmenter.js';
import { DEFAULT_MODEL_DIR, createDecoder, sphinxModel, type OwnedDecoder } from '../../../src/daemon/voice/engines/sphinx/addon.js';
import { GO_FORWARD_WORDS, engineMissing, goForward } from './recordings.js';
import { samplesOf, textWords } from './support.js';

/** Decodes `samples` fed in pieces of `piece` samples with a fresh decoder. */
function decode(samples: Int16Array, piece: number): VoiceEvent[] {
  const decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR));
  try {
    return decodeWith(decoder, samples, piece);
  } finally {
    decoder.free();
  }
}

/** One stream through `decoder`, as a worker thread runs it. */
function decodeWith(decoder: OwnedDecoder, samples: Int16Array, piece: number): VoiceEvent[] {
  const events: VoiceEvent[] = [];
  const segmenter = new UtteranceSegmenter(decoder, true, (event) => events.push(event));
  for (let offset = 0; offset < samples.length; offset += piece) segmenter.process(samples.subarray(offset, offset + piece));
  segmenter.flush();
  return events;
}

/** Loud white noise, from a fixed seed. */
function noise(seconds: number): Int16Array {
  let state = 12345;
  return Int16Array.from({ length: seconds * 16000 }, () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return (state / 2 ** 31 - 0.5) * 20000;
  });
}

/** 16 kHz audio as an 8 kHz client would be heard if it claimed 16 kHz: twice as fast, an octave up. */
const everyOtherSample = (samples: Int16Array) => samples.filter((_, index) => index % 2 === 0);
/** ...and as a 48 kHz client claiming 16 kHz: three times as slow. */
const eachSampleThrice = (samples: Int16Array) => Int16Array.from({ length: samples.length * 3 }, (_, index) => samples[Math.floor(index / 3)]!);

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

  it('decodes the same audio the same way whatever one decoder heard before (noise, audio at the wrong rate)', () => {
    const samples = samplesOf(goForward());
    const decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR));
    try {
      const first = decodeWith(decoder, samples, 1600);
      decodeWith(decoder, noise(3), 1600);
      decodeWith(decoder, everyOtherSample(samples), 1600);
      const second = decodeWith(decoder, samples, 1600);
      decodeWith(decoder, eachSampleThrice(samples), 1600);
      decodeWith(decoder, noise(2), 1600);
      const third = decodeWith(decoder, samples, 1600);
      assert.ok(
        first.some((event) => event.type === 'transcript'),
        'the recording gives a final',
      );
      assert.deepEqual(second, first);
      assert.deepEqual(third, first);
    } finally {
      decoder.free();
    }
  });

  it('refuses a model directory that is not a model with the library’s reason, without taking the process down', () => {
    assert.throws(
      () => createDecoder(sphinxModel('/nonexistent/model')),
      /^Error: PocketSphinx could not load its model: .*does not contain acoustic model definition 'mdef'/,
    );
  });
});
