import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { VoiceEvent } from '../../../src/protocol/voice.js';
import { concatSamples } from '../../../src/audio/frames.js';
import { UtteranceSegmenter } from '../../../src/daemon/voice/engines/sphinx/segmenter.js';
import { DEFAULT_MODEL_DIR, createDecoder, sphinxModel, type OwnedDecoder } from '../../../src/daemon/voice/engines/sphinx/addon.js';
import type { WindowRules } from '../../../src/daemon/voice/engines/sphinx/window-rules.js';
import { engineMissing, goForward } from './recordings.js';
import { samplesOf } from './support.js';

const silence = (seconds: number) => new Int16Array(seconds * 16000);
const forwardCount = (text: string) => text.split(/\s+/).filter((word) => word === 'forward').length;

/** Issue 22: finals are decoded over windows that close at sentence-level pauses or are cut at their longest pause. */
describe('PocketSphinx final windows', { skip: engineMissing }, () => {
  let decoder: OwnedDecoder;
  before(() => (decoder = createDecoder(sphinxModel(DEFAULT_MODEL_DIR))));
  after(() => decoder.free());

  function finals(samples: Int16Array, rules: WindowRules): Extract<VoiceEvent, { type: 'transcript' }>[] {
    const events: VoiceEvent[] = [];
    const segmenter = new UtteranceSegmenter(decoder, true, (event) => events.push(event), rules);
    for (let offset = 0; offset < samples.length; offset += 1600) segmenter.process(samples.subarray(offset, offset + 1600));
    segmenter.flush();
    assert.deepEqual(
      events.filter((event) => event.type === 'speech_start' || event.type === 'speech_end').map((event) => event.type),
      events.filter((event) => event.type === 'speech_start').flatMap(() => ['speech_start', 'speech_end']),
      'every window opens and closes once',
    );
    return events.filter((event) => event.type === 'transcript');
  }

  it('keeps two sentences with a short pause between them in one final, and splits them at a longer pause', () => {
    const sentence = samplesOf(goForward());
    const shortPause = concatSamples([sentence, sentence]);
    const longPause = concatSamples([sentence, silence(4), sentence]);
    const whole = finals(shortPause, { sentencePauseMs: 3000, maxWindowMs: 30_000 });
    assert.equal(whole.length, 1, JSON.stringify(whole));
    assert.equal(forwardCount(whole[0]!.text), 2, whole[0]!.text);
    assert.equal(finals(shortPause, { sentencePauseMs: 500, maxWindowMs: 30_000 }).length, 2, 'at every pause the detector hears, as before issue 22');
    const split = finals(longPause, { sentencePauseMs: 3000, maxWindowMs: 30_000 });
    assert.deepEqual(
      split.map((final) => forwardCount(final.text)),
      [1, 1],
    );
    assert.ok(split[1]!.start_ms >= split[0]!.end_ms + 3000, `${split[0]!.end_ms} → ${split[1]!.start_ms}`);
  });

  it('cuts a full window at its longest pause and carries the rest into the next', () => {
    const sentence = samplesOf(goForward());
    const audio = concatSamples([sentence, sentence, silence(2), sentence, sentence]);
    const cut = finals(audio, { sentencePauseMs: Infinity, maxWindowMs: 10_000 });
    assert.deepEqual(
      cut.map((final) => forwardCount(final.text)),
      [2, 2],
      JSON.stringify(cut.map((final) => final.text)),
    );
    assert.ok(cut[0]!.end_ms >= 4000 && cut[1]!.start_ms >= cut[0]!.end_ms + 2000, `cut between ${cut[0]!.end_ms} and ${cut[1]!.start_ms} ms`);
    assert.deepEqual(
      cut.map((final) => final.segment_index),
      [0, 1],
    );
  });

  it('gives the same finals for the same audio whatever the chunking', () => {
    const sentence = samplesOf(goForward());
    const audio = concatSamples([sentence, silence(1), sentence]);
    const rules = { sentencePauseMs: 1000, maxWindowMs: 30_000 };
    const events = (piece: number) => {
      const out: VoiceEvent[] = [];
      const segmenter = new UtteranceSegmenter(decoder, true, (event) => out.push(event), rules);
      for (let offset = 0; offset < audio.length; offset += piece) segmenter.process(audio.subarray(offset, offset + piece));
      segmenter.flush();
      return out;
    };
    assert.deepEqual(events(777), events(1600));
  });
});
