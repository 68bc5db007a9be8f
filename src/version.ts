import { readFileSync } from 'node:fs';

const packageJson = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

/** The package version, reported as `server_version` and in `daemon.status`. */
export const VERSION: string = packageJson.version;
