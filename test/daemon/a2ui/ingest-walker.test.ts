import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { findEnvelopes } from '../../../src/daemon/a2ui/ingest.js';
import { resolveLimits } from '../../../src/daemon/a2ui/limits.js';
import { RpcError } from '../../../src/protocol/errors.js';
import { components, create, dataModel, nested, text } from './helpers.js';

const limits = resolveLimits();

describe('ingest walker (docs/protocol.md#a2ui-ingest)', () => {
  it('finds direct envelopes and { a2ui } wrappers in an A2A task, in document order, with its ids', () => {
    const first = create('booking');
    const second = components('booking', [text('root', 'Pick a date')]);
    const third = dataModel('booking', '/date', '2026-02-01');
    const response = {
      jsonrpc: '2.0',
      id: 7,
      result: {
        kind: 'task',
        id: 'task-42',
        contextId: 'ctx-9',
        status: { state: 'input-required', message: { kind: 'message', role: 'agent', parts: [{ kind: 'data', data: first }] } },
        artifacts: [
          {
            artifactId: 'a1',
            parts: [
              { kind: 'text', text: 'here is a form' },
              { kind: 'data', data: { a2ui: second }, metadata: { mimeType: 'application/json+a2ui' } },
            ],
          },
          { artifactId: 'a2', parts: [{ kind: 'data', data: [{ a2ui: third }] }] },
        ],
      },
    };
    const found = findEnvelopes(response, limits);
    assert.deepEqual(found.envelopes, [first, second, third]);
    assert.equal(found.taskId, 'task-42');
    assert.equal(found.contextId, 'ctx-9');
  });

  it('takes taskId and contextId from a message', () => {
    const found = findEnvelopes({ kind: 'message', messageId: 'm1', taskId: 't-1', contextId: 'c-1', parts: [{ kind: 'data', data: create('x') }] }, limits);
    assert.deepEqual([found.taskId, found.contextId, found.envelopes.length], ['t-1', 'c-1', 1]);
  });

  it('finds nothing in a value without envelopes', () => {
    assert.deepEqual(findEnvelopes({ kind: 'message', parts: [{ kind: 'text', text: 'createSurface' }] }, limits), {
      envelopes: [],
      taskId: null,
      contextId: null,
    });
  });

  it('does not look for ids inside envelopes', () => {
    const found = findEnvelopes([dataModel('s', '/taskId', 'not-a-task')], limits);
    assert.equal(found.taskId, null);
  });

  it('accepts 64 envelopes and refuses 65 with LimitExceeded', () => {
    const envelopes = (count: number) => ({ parts: Array.from({ length: count }, (_, i) => ({ kind: 'data', data: { a2ui: create(`s${i}`) } })) });
    assert.equal(findEnvelopes(envelopes(64), limits).envelopes.length, 64);
    assert.throws(
      () => findEnvelopes(envelopes(65), limits),
      (error: RpcError) => error.code === -32013 && error.data?.kind === 'LimitExceeded' && error.data?.limit === 'maxIngestEnvelopes',
    );
  });

  it('walks 32 levels and refuses a 33rd with LimitExceeded', () => {
    const at = (levels: number) => {
      const payload = nested(levels);
      let node = payload;
      while (node.n) node = node.n as Record<string, unknown>;
      node.deepest = [];
      return payload;
    };
    assert.doesNotThrow(() => findEnvelopes(at(31), limits));
    assert.throws(
      () => findEnvelopes(at(32), limits),
      (error: RpcError) => error.code === -32013 && error.data?.limit === 'maxDepth',
    );
  });
});
