import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { renderProtocolMarkdown } from '../../scripts/docs/markdown.js';
import { PROTOCOL_MD, generateProtocolDocs } from '../../scripts/docs/protocol.js';
import { ADDITION_ANCHORS, SECTION_ANCHORS, anchorFor } from '../../scripts/docs/section-refs.js';
import { contract, notifications } from '../../src/protocol/contract.js';
import { anchorOf, contractDocument } from '../../src/protocol/openrpc.js';

describe('docs/protocol.md', () => {
  it('is what `npm run docs` generates from the descriptors and docs/protocol/*.md (run it and commit when this fails)', async () => {
    const generated = await generateProtocolDocs();
    const committed = readFileSync(PROTOCOL_MD, 'utf8');
    assert.ok(generated === committed, 'docs/protocol.md is stale: run `npm run docs` and commit docs/protocol.md');
  });

  it('has a stable anchor for every method and notification, and every in-page link lands on one', () => {
    const text = readFileSync(PROTOCOL_MD, 'utf8');
    const ids = new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!));
    for (const heading of text.matchAll(/^#{1,4} (.+)$/gm)) ids.add(slug(heading[1]!));
    for (const name of [...Object.keys(contract), ...Object.keys(notifications)]) assert.ok(ids.has(anchorOf(name)), `anchor #${anchorOf(name)}`);
    assert.ok(ids.has('meeting-summarize'));
    const broken = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]!).filter((target) => !ids.has(target));
    assert.deepEqual([...new Set(broken)], []);
  });

  it('maps the old PROTOCOL.md sections to anchors that exist (scripts/docs/section-refs.ts)', () => {
    const text = readFileSync(PROTOCOL_MD, 'utf8');
    const ids = new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!));
    for (const heading of text.matchAll(/^#{1,4} (.+)$/gm)) ids.add(slug(heading[1]!));
    for (const target of [...Object.values(SECTION_ANCHORS), ...Object.values(ADDITION_ANCHORS)].filter((anchor) => anchor.startsWith('docs/protocol.md#'))) {
      assert.ok(ids.has(target.slice('docs/protocol.md#'.length)), target);
    }
    assert.equal(anchorFor('16.5'), 'docs/protocol.md#meeting-summarize');
    assert.equal(anchorFor('23', 'Browser sign-in'), 'docs/protocol.md#session-login_code');
    assert.equal(anchorFor('23', 'Connections'), 'docs/protocol.md#connection-limits');
  });

  it('refuses a fragment that names an unknown generated part, or leaves a part out', () => {
    const document = contractDocument();
    assert.throws(() => renderProtocolMarkdown(document, [{ name: 'x.md', text: '<!-- generated: method -->' }]), /x\.md: unknown generated part 'method'/);
    assert.throws(() => renderProtocolMarkdown(document, [{ name: 'x.md', text: '<!-- generated: methods -->' }]), /no fragment places the generated part\(s\) index, notifications/);
  });
});

/** GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
