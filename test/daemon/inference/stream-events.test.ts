import assert from 'node:assert/strict';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, it } from 'node:test';
import { StreamEvents } from '../../../src/daemon/inference/stream-events.js';
import type { InferenceStreamEvent } from '../../../src/protocol/inference.js';

/** How `infer_stream` text leaves the daemon: one event per event-loop turn, never after what follows it. */
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
    events.text(',');
    await nextTurn();
    await nextTurn();
    assert.deepEqual(sent.at(-1), { type: 'text', data: ',' }, 'a later chunk starts a new event');
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
