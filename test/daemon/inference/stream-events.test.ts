import assert from 'node:assert/strict';
import { setImmediate as nextTurn, setTimeout as sleep } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { MIN_TEXT_INTERVAL_MS, StreamEvents } from '../../../src/daemon/inference/stream-events.js';
import type { InferenceStreamEvent } from '../../../src/protocol/inference.js';

/** How `infer_stream` text leaves the daemon: a turn after it is generated, at most one event per interval, never after what follows it. */
describe('stream events', () => {
  const recorder = () => {
    const sent: InferenceStreamEvent[] = [];
    return { sent, events: new StreamEvents((event) => sent.push(event)) };
  };

  it('sends the chunks of one turn as one text event, in the turn after the next', async () => {
    const { sent, events } = recorder();
    events.text('Once');
    events.text(' upon');
    events.text(' a time');
    assert.deepEqual(sent, [], 'nothing is written in the turn that generated the text');
    await nextTurn();
    assert.deepEqual(sent, [], 'nor in the next check phase, where node-llama-cpp dispatches the next decode');
    await nextTurn();
    assert.deepEqual(sent, [{ type: 'text', data: 'Once upon a time' }]);
    await sleep(MIN_TEXT_INTERVAL_MS + 2);
    events.text(',');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(sent.at(-1), { type: 'text', data: ',' }, 'a chunk after the interval starts a new event, a turn later');
  });

  it('sends text generated faster than the interval at most once per interval, losing none', async () => {
    const { sent, events } = recorder();
    const started = performance.now();
    let generated = '';
    // A token every event-loop turn for 5 intervals, as a tiny model generates.
    for (let token = 0; performance.now() - started < 5 * MIN_TEXT_INTERVAL_MS; token++) {
      events.text(` t${token}`);
      generated += ` t${token}`;
      await nextTurn();
    }
    const elapsed = performance.now() - started;
    events.flush();
    assert.equal(sent.map((event) => (event.type === 'text' ? event.data : '')).join(''), generated);
    assert.ok(generated.split(' ').length > 20, `a token per turn: ${generated.split(' ').length - 1} tokens`);
    // One event per interval, the first and the one flushed at the end; timers keep whole milliseconds, so allow one less per interval.
    const bound = Math.ceil(elapsed / (MIN_TEXT_INTERVAL_MS - 1)) + 2;
    assert.ok(sent.length <= bound, `${sent.length} text events (at most ${bound}) for ${generated.split(' ').length - 1} tokens in ${elapsed.toFixed(0)} ms`);
  });

  it('sends held text before any other event, and nothing twice', async () => {
    const { sent, events } = recorder();
    events.text('Lily');
    events.emit({ type: 'stop_reason', data: 'length' });
    assert.deepEqual(sent, [
      { type: 'text', data: 'Lily' },
      { type: 'stop_reason', data: 'length' },
    ]);
    await nextTurn();
    await nextTurn();
    assert.equal(sent.length, 2, 'the scheduled flush finds nothing left to send');
  });

  it('flush() sends what is held at once (before a response ends the stream)', () => {
    const { sent, events } = recorder();
    events.flush();
    assert.deepEqual(sent, [], 'no empty text event');
    events.text('went');
    events.flush();
    assert.deepEqual(sent, [{ type: 'text', data: 'went' }]);
  });
});
