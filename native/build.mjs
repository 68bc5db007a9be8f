// Builds the PocketSphinx addon at `npm install` time. It never fails the install: without
// the Debian packages (or a compiler) the daemon still runs and reports the `local` speech
// provider as unavailable, with the reason and the install hint.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const INSTALL_HINT =
  'sudo apt-get install pocketsphinx pocketsphinx-en-us libpocketsphinx-dev pkg-config, then `npm run install` here (or bash scripts/setup.sh)';

function skip(reason) {
  rmSync(join(here, 'build'), { recursive: true, force: true });
  process.stderr.write(`car: speech addon not built (${reason}); live transcription will be unavailable. To enable it: ${INSTALL_HINT}\n`);
  process.exit(0);
}

const pkgConfig = spawnSync('pkg-config', ['--exists', 'pocketsphinx', 'sphinxbase'], { stdio: 'ignore' });
if (pkgConfig.error || pkgConfig.status !== 0) skip('pkg-config does not find pocketsphinx and sphinxbase');

// node-gyp would download Node's headers; the machines here have no such network, and the
// headers that ship with Node (e.g. /usr/include/node) are the right ones anyway.
const nodePrefix = dirname(dirname(process.execPath));
const nodedir = existsSync(join(nodePrefix, 'include', 'node', 'node_api.h')) ? [`--nodedir=${nodePrefix}`] : [];

const nodeGyp = process.env.npm_config_node_gyp ?? bundledNodeGyp();
if (!nodeGyp) skip('node-gyp was not found (it ships with npm)');

const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', ...nodedir], { cwd: here, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8' });
if (build.status !== 0) {
  const lastLines = (build.stderr ?? '').trim().split('\n').slice(-5).join('\n');
  skip(`node-gyp failed:\n${lastLines}\n`);
}
process.stderr.write('car: speech addon built (native/build/Release/car_sphinx.node)\n');

function bundledNodeGyp() {
  const candidates = [join(nodePrefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not installed locally; npm's bundled copy is the usual one
  }
  return candidates.find((candidate) => existsSync(candidate));
}
