import { readdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatRows, type BenchRow, type BenchSection } from './harness.js';

/**
 * `npm run bench [-- [--quality] [--json[=FILE]] [section…]]`: runs every speed and memory
 * section under bench/sections (with `--quality` the quality sections too; or the named ones)
 * one after another, so timed sections never compete for the two cores. The
 * sections that time nothing (`sharesCores`) go first, and the others' unmeasured `prepare`
 * work runs beside them in processes of its own; every preparation has finished before a
 * timed section starts. `--json`
 * writes one document `{ sections: [{ name, rows, seconds }], missed, seconds }` for comparing runs: to FILE,
 * or else to stdout with the readable tables moved to stderr (npm's and the build's own
 * lines also reach stdout, so prefer a FILE under `npm run`).
 */
const args = process.argv.slice(2);
const jsonArg = args.find((arg) => arg === '--json' || arg.startsWith('--json='));
const jsonFile = jsonArg?.startsWith('--json=') ? jsonArg.slice('--json='.length) : null;
const withQuality = args.includes('--quality');
const wanted = args.filter((arg) => arg !== jsonArg && arg !== '--quality');
const sectionsDir = fileURLToPath(new URL('./sections/', import.meta.url));
const sections: BenchSection[] = [];
for (const file of readdirSync(sectionsDir)
  .filter((name) => name.endsWith('.js'))
  .sort()) {
  sections.push((await import(new URL(`./sections/${file}`, import.meta.url).href)).default as BenchSection);
}
const unknown = wanted.filter((name) => !sections.some((section) => section.name === name));
if (unknown.length) {
  process.stderr.write(`unknown bench section(s): ${unknown.join(', ')}; choose from ${sections.map((s) => s.name).join(', ')} (or --json, --quality)\n`);
  process.exit(2);
}

const tables = jsonArg && !jsonFile ? process.stderr : process.stdout;
const results: { name: string; rows: BenchRow[]; seconds: number }[] = [];
const failed: { name: string; error: string }[] = [];
const seconds = (since: number) => Math.round((performance.now() - since) / 100) / 10;
const benchStarted = performance.now();
const selected = sections.filter((section) => (wanted.length ? wanted.includes(section.name) : withQuality || !section.quality));
const ordered = [...selected.filter((section) => section.sharesCores), ...selected.filter((section) => !section.sharesCores)];
const preparations = new Map<BenchSection, Promise<unknown>>();
const startPreparations = () => {
  for (const section of ordered) {
    if (!section.prepare || preparations.has(section)) continue;
    const preparing = section.prepare();
    // Its section reports a failure when it awaits it.
    preparing.catch(() => undefined);
    preparations.set(section, preparing);
  }
};
for (const section of ordered) {
  if (section.sharesCores) startPreparations();
  else await Promise.allSettled(preparations.values());
  process.stderr.write(`running bench section '${section.name}'…\n`);
  const started = performance.now();
  try {
    const prepared = section.prepare ? await (preparations.get(section) ?? section.prepare()) : undefined;
    const rows = await section.run(prepared);
    results.push({ name: section.name, rows, seconds: seconds(started) });
    tables.write(formatRows(section.name, rows) + `(${seconds(started)} s)\n\n`);
  } catch (error) {
    // One broken section must not cost the figures of the others; it counts as missed.
    failed.push({ name: section.name, error: (error as Error).stack ?? String(error) });
    process.stderr.write(`bench section '${section.name}' failed: ${(error as Error).stack ?? String(error)}\n`);
  }
}
const missed = results.reduce((sum, { rows }) => sum + rows.filter((row) => !row.ok).length, 0) + failed.length;
const totalSeconds = seconds(benchStarted);
tables.write(
  `${missed === 0 ? 'all targets met' : `${missed} target(s) missed${failed.length ? ` (${failed.length} section(s) failed: ${failed.map(({ name }) => name).join(', ')})` : ''}`} in ${totalSeconds} s\n`,
);
const document = JSON.stringify({ sections: results, failed, missed, seconds: totalSeconds }, null, 2) + '\n';
if (jsonFile) writeFileSync(jsonFile, document);
else if (jsonArg) process.stdout.write(document);
