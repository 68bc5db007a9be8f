import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { chunkTranscript, packLines, planPrompts, splitByBytes } from '../../../src/daemon/meetings/summarizer.js';

const bytes = (text: string) => Buffer.byteLength(text);
const words = (texts: string[]) => texts.join(' ').split(/\s+/).filter(Boolean);

/** The summary's chunk-and-merge arithmetic (docs/protocol.md#meeting-summarize): every prompt fits the model's context, and no word is lost or reordered. */
describe('summary chunking', () => {
  it('plans prompts that fit a 128-token context with room to answer, and the full instruction for large contexts', () => {
    const tiny = planPrompts(128);
    assert.equal(tiny.maxTokens, 32);
    for (const shape of [tiny.chunk, tiny.merge]) {
      assert.ok(bytes(shape.head + shape.cue) + shape.textBytes + tiny.maxTokens + 1 <= 128 * 0.9, 'bytes bound tokens, so the prompt and the answer fit');
      assert.ok(shape.textBytes >= 16);
    }
    assert.match(tiny.chunk.head, /^Meeting notes:/, 'a 128-token model gets the terse instruction');
    const large = planPrompts(8192);
    assert.equal(large.maxTokens, 512);
    assert.match(large.chunk.head, /key points, the decisions, and the action items with their owners/);
    assert.ok(large.chunk.textBytes > 6000);
    assert.throws(() => planPrompts(40), /context window \(40 tokens\) is too small to summarise/);
  });

  it('packs transcript lines into chunks within the budget, splitting overlong lines between words', () => {
    const lines = [
      '[00:00] go forward ten meters',
      '[00:03] ' + 'thirty three four or six ninety two '.repeat(6).trim(),
      '[00:09] go somewhere and do something',
    ];
    const chunks = chunkTranscript(lines, 49);
    assert.ok(chunks.length > 3);
    for (const chunk of chunks) assert.ok(bytes(chunk) <= 49, `${bytes(chunk)} bytes: ${chunk}`);
    assert.deepEqual(words(chunks), words(lines));
    assert.deepEqual(chunkTranscript(['short', 'lines'], 100), ['short\nlines']);
  });

  it('splits text with multi-byte characters and unbreakable words without exceeding the budget', () => {
    const text = 'Zürich café ' + '€'.repeat(20) + ' done';
    const pieces = splitByBytes(text, 16);
    for (const piece of pieces) assert.ok(bytes(piece) <= 16, piece);
    assert.equal(pieces.join('').replace(/\s+/g, ''), text.replace(/\s+/g, ''), 'only whitespace is dropped, never a character');
    assert.deepEqual(splitByBytes('one two three', 7), ['one two', 'three']);
  });

  it('groups partial summaries so each merge takes at least two', () => {
    const parts = ['a'.repeat(20), 'b'.repeat(20), 'c'.repeat(20), 'd'.repeat(20), 'e'.repeat(20)];
    const groups = packLines(parts, 41);
    assert.deepEqual(
      groups.map((group) => group.length),
      [2, 2, 1],
    );
    for (const group of groups) assert.ok(bytes(group.join('\n')) <= 41);
  });
});
