import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describeContract } from '../../src/daemon/rpc/discovery.js';
import { ServerState } from '../../src/daemon/state/server-state.js';
import { undescribed } from '../../src/protocol/openrpc.js';
import { renderProtocolMarkdown } from './markdown.js';

/**
 * `npm run docs`: writes docs/protocol.md from the contract (with the gates the daemon's
 * method tables declare, read from a throwaway ServerState) and the prose in docs/protocol/.
 * `--check` only compares, and exits 1 when the committed file is stale.
 */

/** The repository root (this file runs from dist/scripts/docs/). */
export const REPO_ROOT = resolve(fileURLToPath(new URL('../../../', import.meta.url)));
export const FRAGMENTS_DIR = join(REPO_ROOT, 'docs', 'protocol');
export const PROTOCOL_MD = join(REPO_ROOT, 'docs', 'protocol.md');

export async function generateProtocolDocs(): Promise<string> {
  const root = mkdtempSync(join(tmpdir(), 'car-docs-'));
  const state = ServerState.standalone(join(root, 'journals'));
  try {
    const fragments = readdirSync(FRAGMENTS_DIR)
      .filter((name) => name.endsWith('.md'))
      .sort()
      .map((name) => ({ name, text: readFileSync(join(FRAGMENTS_DIR, name), 'utf8') }));
    return renderProtocolMarkdown(describeContract(state.registry), fragments);
  } finally {
    await state.close('docs_generated');
    rmSync(root, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const missing = undescribed();
  for (const method of missing.methods)
    console.warn(`warning: ${method} declares its result with returns<R>(): the docs cannot describe it; give it a zod schema`);
  for (const name of missing.notifications) console.warn(`warning: notification ${name} is declared with carries<P>(): give it a zod schema`);
  const text = await generateProtocolDocs();
  if (process.argv.includes('--check')) {
    const current = readFileSync(PROTOCOL_MD, 'utf8');
    if (current !== text) {
      console.error('docs/protocol.md is stale; run `npm run docs` and commit it');
      process.exitCode = 1;
    }
    return;
  }
  writeFileSync(PROTOCOL_MD, text);
  console.log(`wrote ${PROTOCOL_MD} (${text.length} characters)`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) await main();
