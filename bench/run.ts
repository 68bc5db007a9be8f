import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatRows, type BenchRow, type BenchSection } from './harness.js';

/**
 * `npm run bench [-- [--json[=FILE]] [section…]]`: runs every section under bench/sections (or
 * the named ones) one after another, so sections never compete for the two cores. `--json`
 * writes one document `{ sections: [{ name, rows }], missed }` for comparing runs: to FILE,
 * or else to stdout with the readable tables moved to stderr (npm's and the build's own
 * lines also reach stdout, so prefer a FILE under `npm run`).
 */
const args = process.argv.slice(2);
const jsonArg = args.find((arg) => arg === '--json' || arg.startsWith('--json='));
const jsonFile = jsonArg?.startsWith('--json=') ? jsonArg.slice('--json='.length) : null;
const wanted = args.filter((arg) => arg !== jsonArg);
const sectionsDir = fileURLToPath(new URL('./sections/', import.meta.url));
const sections: BenchSection[] = [];
for (const file of readdirSync(sectionsDir).filter((name) => name.endsWith('.js')).sort()) {
  sections.push((await import(new URL(`./sections/${file}`, import.meta.url).href)).default as BenchSection);
}
const unknown = wanted.filter((name) => !sections.some((section) => section.name === name));
if (unknown.length) {
  process.stderr.write(`unknown bench section(s): ${unknown.join(', ')}; choose from ${sections.map((s) => s.name).join(', ')} (or --json)\n`);
  process.exit(2);
}

const tables = jsonArg && !jsonFile ? process.stderr : process.stdout;
const results: { name: string; rows: BenchRow[] }[] = [];
const failed: { name: string; error: string }[] = [];
for (const section of sections) {
  if (wanted.length && !wanted.includes(section.name)) continue;
  process.stderr.write(`running bench section '${section.name}'…\n`);
  try {
    const rows = await section.run();
    results.push({ name: section.name, rows });
    tables.write(formatRows(section.name, rows) + '\n');
  } catch (error) {
    // One broken section must not cost the figures of the others; it counts as missed.
    failed.push({ name: section.name, error: (error as Error).stack ?? String(error) });
    process.stderr.write(`bench section '${section.name}' failed: ${(error as Error).stack ?? String(error)}\n`);
  }
}
const missed = results.reduce((sum, { rows }) => sum + rows.filter((row) => !row.ok).length, 0) + failed.length;
tables.write(`${missed === 0 ? 'all targets met' : `${missed} target(s) missed${failed.length ? ` (${failed.length} section(s) failed: ${failed.map(({ name }) => name).join(', ')})` : ''}`}\n`);
const document = JSON.stringify({ sections: results, failed, missed }, null, 2) + '\n';
if (jsonFile) writeFileSync(jsonFile, document);
else if (jsonArg) process.stdout.write(document);
