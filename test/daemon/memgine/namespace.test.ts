import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertValidNamespace, encodeNamespace } from '../../../src/daemon/memgine/namespace.js';

/** Namespace validation and the injective storage encoding (docs/protocol.md#memory-graphs). */
describe('memory namespaces (docs/protocol.md#memory-graphs)', () => {
  it('encodes injectively: only a-z 0-9 - _ . stay, everything else becomes lowercase %xx', () => {
    assert.equal(encodeNamespace('work-notes_2.0'), 'work-notes_2.0');
    assert.equal(encodeNamespace('A'), '%41');
    assert.equal(encodeNamespace('a'), 'a');
    assert.equal(encodeNamespace('%41'), '%2541', 'a literal escape never collides with the letter it spells');
    assert.equal(encodeNamespace('my team'), 'my%20team');
    const names = ['A', 'a', '%41', '%2541', 'a b', 'a%20b', 'Ab', 'aB', '~', '%7e', '%7E'];
    assert.equal(new Set(names.map(encodeNamespace)).size, names.length);
  });

  it('accepts plain printable names up to 128 characters', () => {
    for (const name of ['work', 'Work', 'a b', 'x'.repeat(128), 'team.notes', '~!@#$%^&*()']) assert.doesNotThrow(() => assertValidNamespace(name), name);
  });

  it('refuses path-like, empty, over-long and non-printable names with -32602', () => {
    for (const name of ['../x', 'a/b', 'a\\b', '.', '..', '', 'x'.repeat(129), 'tab\t', 'naïve', 'line\n']) {
      assert.throws(
        () => assertValidNamespace(name),
        (error: { code?: number; data?: { field?: string } }) => error.code === -32602 && error.data?.field === 'memory_namespace',
        JSON.stringify(name),
      );
    }
  });
});
