import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../../helpers/paths.js';

/** Envelope builders and fixtures shared by the A2UI tests. */

export const BASIC = 'https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json';

export const create = (surfaceId: string, extra: Record<string, unknown> = {}) => ({
  version: 'v0.9',
  createSurface: { surfaceId, catalogId: BASIC, ...extra },
});
export const components = (surfaceId: string, list: Record<string, unknown>[]) => ({ version: 'v0.9', updateComponents: { surfaceId, components: list } });
export const dataModel = (surfaceId: string, path: string | undefined, value?: unknown) => ({
  version: 'v0.9',
  updateDataModel: { surfaceId, ...(path === undefined ? {} : { path }), ...(value === undefined ? {} : { value }) },
});
export const remove = (surfaceId: string) => ({ version: 'v0.9', deleteSurface: { surfaceId } });
export const text = (id: string, value: unknown = id) => ({ id, component: 'Text', text: value });

/** A fixture under test/daemon/a2ui/fixtures (read from the source tree; tests run from dist/). */
export function fixture(name: string): string {
  return readFileSync(join(REPO_ROOT, 'test', 'daemon', 'a2ui', 'fixtures', name), 'utf8');
}

/** An object nested `levels` deep (the outermost object counts as level 1). */
export function nested(levels: number): Record<string, unknown> {
  let node: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) node = { n: node };
  return node;
}
