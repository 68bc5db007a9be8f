import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatRows, type BenchSection } from './harness.js';

/**
 * `npm run bench [section…]`: runs every section under bench/sections (or the named ones)
 * one after another, so sections never compete for the two cores.
 */
const sectionsDir = fileURLToPath(new URL('./sections/', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(sectionsDir).filter((file) => file.endsWith('.js')).sort();

let missed = 0;
for (const file of files) {
  const section = (await import(new URL(`./sections/${file}`, import.meta.url).href)).default as BenchSection;
  if (wanted.length && !wanted.includes(section.name)) continue;
  process.stderr.write(`running bench section '${section.name}'…\n`);
  const rows = await section.run();
  missed += rows.filter((row) => !row.ok).length;
  process.stdout.write(formatRows(section.name, rows) + '\n');
}
process.stdout.write(`${missed === 0 ? 'all targets met' : `${missed} target(s) missed`}\n`);
