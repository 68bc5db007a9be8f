import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join, posix, relative } from 'node:path';
import { describe, it } from 'node:test';
import { renderProtocolMarkdown } from '../../scripts/docs/markdown.js';
import { PROTOCOL_MD, REPO_ROOT, generateProtocolDocs } from '../../scripts/docs/protocol.js';
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
    const ids = anchorsOf(text);
    for (const name of [...Object.keys(contract), ...Object.keys(notifications)]) assert.ok(ids.has(anchorOf(name)), `anchor #${anchorOf(name)}`);
    assert.ok(ids.has('meeting-summarize'));
    const broken = [...text.matchAll(/\]\(#([^)]+)\)/g)].map((match) => match[1]!).filter((target) => !ids.has(target));
    assert.deepEqual([...new Set(broken)], []);
  });

  it('is where the code and the README point, by anchors that exist; nothing cites the section numbers of the old specification', () => {
    const docs = ['docs/protocol.md', 'docs/architecture.md', 'README.md'];
    const anchors = new Map(docs.map((doc) => [doc, anchorsOf(readFileSync(join(REPO_ROOT, doc), 'utf8'))]));
    const broken: string[] = [];
    const oldSections: string[] = [];
    for (const file of [...SOURCE_DIRS.flatMap((dir) => sourceFiles(join(REPO_ROOT, dir))), ...docs.slice(1).map((doc) => join(REPO_ROOT, doc))]) {
      const text = readFileSync(file, 'utf8');
      const where = relative(REPO_ROOT, file);
      // Code names a document from the repository root; Markdown links to it relative to itself.
      const links = file.endsWith('.md')
        ? [...text.matchAll(/\]\(([\w./-]+\.md)#([\w-]+)\)/g)].map(([, path, id]) => [posix.join(posix.dirname(where), path!), id!])
        : [...text.matchAll(/\b((?:docs\/)?[\w-]+\.md)#([\w-]+)/g)].map(([, path, id]) => [path!, id!]);
      for (const [doc, id] of links) if (!anchors.get(doc!)?.has(id!)) broken.push(`${where}: ${doc}#${id}`);
      // RFCs keep their own section signs.
      for (const [line] of text.matchAll(/^.*(?<!RFC \d+ )§\d.*$/gm)) oldSections.push(`${where}: ${line.trim()}`);
    }
    assert.deepEqual(broken, [], 'links to anchors that do not exist');
    assert.deepEqual(oldSections, [], 'section numbers of the old specification: link the part of docs/protocol.md that says it instead');
  });

  it('names every environment variable src/config/environment.ts reads', () => {
    const read = readFileSync(join(REPO_ROOT, 'src', 'config', 'environment.ts'), 'utf8');
    const text = readFileSync(PROTOCOL_MD, 'utf8');
    const names = [...new Set([...read.matchAll(/\benv\.([A-Z][A-Z0-9_]*)\b/g)].map((match) => match[1]!))];
    assert.ok(names.length > 20, `found only ${names.length} variables in environment.ts`);
    assert.deepEqual(
      names.filter((name) => !new RegExp(`\`${name}(=1)?\``).test(text)),
      [],
      'variables missing from docs/protocol/85-environment.md',
    );
  });

  it('refuses a fragment that names an unknown generated part, or leaves a part out', () => {
    const document = contractDocument();
    assert.throws(() => renderProtocolMarkdown(document, [{ name: 'x.md', text: '<!-- generated: method -->' }]), /x\.md: unknown generated part 'method'/);
    assert.throws(
      () => renderProtocolMarkdown(document, [{ name: 'x.md', text: '<!-- generated: methods -->' }]),
      /no fragment places the generated part\(s\) index, notifications/,
    );
  });
});

const SOURCE_DIRS = ['src', 'test', 'scripts', 'bench', 'chaos', 'web'];

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : /\.(ts|mjs)$/.test(entry.name) ? [join(dir, entry.name)] : [],
  );
}

/** A page's link targets: the generator's `<a id>`s and the headings as GitHub slugs them. */
function anchorsOf(text: string): Set<string> {
  const ids = new Set([...text.matchAll(/<a id="([^"]+)"><\/a>/g)].map((match) => match[1]!));
  for (const heading of text.matchAll(/^#{1,4} (.+)$/gm)) ids.add(slug(heading[1]!));
  return ids;
}

/** GitHub's heading anchors: lower case, punctuation but `-` and `_` dropped, spaces to `-`. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}
