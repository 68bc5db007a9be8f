import { childComponentIds, isPlainObject, type A2uiComponent, type A2uiEventParams, type A2uiSurface, type A2uiSurfaceOwner } from '../protocol/a2ui.js';
import { CarError } from '../errors.js';
import { ago, clip } from './render.js';

/** Rendering and input helpers of the `car surfaces` commands. */

export function ownerLabel(owner: A2uiSurfaceOwner): string {
  if (owner.kind === 'session') return `session ${owner.sessionId}`;
  const ids = [owner.taskId && `task ${owner.taskId}`, owner.contextId && `context ${owner.contextId}`].filter(Boolean).join(', ');
  return `a2a${ids ? ` ${ids}` : ''}${owner.endpoint ? ` via ${owner.endpoint}` : ''}`;
}

/** "in 23h", "in 4m", "now": how long until an ISO time. */
export function until(iso: string, now = Date.now()): string {
  const seconds = Math.round((Date.parse(iso) - now) / 1000);
  if (seconds <= 0) return 'now';
  if (seconds < 60) return `in ${seconds}s`;
  if (seconds < 3600) return `in ${Math.floor(seconds / 60)}m`;
  if (seconds < 86400) return `in ${Math.floor(seconds / 3600)}h`;
  return `in ${Math.floor(seconds / 86400)}d`;
}

/**
 * The component tree as indented lines, from `root` (or from every component no other
 * component refers to), followed by components nothing reaches. A cycle or a missing
 * child is shown, not followed.
 */
export function componentTree(surface: A2uiSurface): string[] {
  const { components } = surface;
  const referenced = new Set(Object.values(components).flatMap(childComponentIds));
  const roots = components.root ? ['root'] : Object.keys(components).filter((id) => !referenced.has(id));
  const shown = new Set<string>();
  const lines: string[] = [];
  const visit = (id: string, prefix: string, branch: string, onPath: Set<string>) => {
    const component = components[id];
    if (!component) {
      lines.push(`${prefix}${branch}${id}  (missing)`);
      return;
    }
    if (onPath.has(id)) {
      lines.push(`${prefix}${branch}${id}  (cycle)`);
      return;
    }
    shown.add(id);
    lines.push(`${prefix}${branch}${id}  ${describe(component)}`);
    const children = childComponentIds(component);
    const inner = prefix + (branch === '' ? '' : branch.startsWith('└') ? '   ' : '│  ');
    children.forEach((child, index) => visit(child, inner, index === children.length - 1 ? '└─ ' : '├─ ', new Set(onPath).add(id)));
  };
  for (const root of roots) visit(root, '', '', new Set());
  const detached = Object.keys(components).filter((id) => !shown.has(id));
  if (detached.length) lines.push(`(not attached: ${detached.join(', ')})`);
  return lines;
}

function describe(component: A2uiComponent): string {
  const text = typeof component.text === 'string' ? component.text : typeof component.label === 'string' ? component.label : null;
  const binding = (component.text ?? component.value) as { path?: unknown } | undefined;
  const bound = binding && typeof binding === 'object' && typeof binding.path === 'string' ? ` {${binding.path}}` : '';
  const template =
    component.children && !Array.isArray(component.children)
      ? ` [template over ${typeof component.children.path === 'string' ? component.children.path : '?'}]`
      : '';
  return `${component.component}${text !== null ? ` "${clip(text)}"` : ''}${bound}${template}`;
}

/** One human line per `a2ui.event`. */
export function eventLine(event: A2uiEventParams, at = new Date()): string {
  const time = at.toISOString().slice(11, 19);
  if (event.kind === 'a2ui.action') {
    const { action } = event.result;
    return `${time}  action   ${action.surfaceId}  '${action.name}'${action.sourceComponentId ? ` from ${action.sourceComponentId}` : ''}`;
  }
  const { surfaceId, surface } = event.result;
  if (event.kind === 'a2ui.surface_deleted' || !surface) return `${time}  deleted  ${surfaceId}`;
  return `${time}  updated  ${surfaceId}  revision ${surface.revision}, ${Object.keys(surface.components).length} components`;
}

/**
 * The envelopes in a file an author wrote: one JSON envelope, a JSON array of them, an
 * A2UI sample (`{ "messages": [...] }`), or JSONL with one envelope per line.
 */
export function parseEnvelopeFile(text: string, name: string): Record<string, unknown>[] {
  let whole: unknown;
  try {
    whole = JSON.parse(text);
  } catch {
    return text.split('\n').flatMap((line, index) => {
      if (line.trim() === '') return [];
      try {
        return [asEnvelope(JSON.parse(line), `line ${index + 1} of ${name}`)];
      } catch (error) {
        if (error instanceof CarError) throw error;
        throw new CarError(`line ${index + 1} of ${name} is not JSON`, 'write one envelope per line (JSONL), or the whole file as one JSON value');
      }
    });
  }
  if (Array.isArray(whole)) return whole.map((item, index) => asEnvelope(item, `item ${index} of ${name}`));
  if (isPlainObject(whole) && Array.isArray(whole.messages)) return whole.messages.map((item, index) => asEnvelope(item, `message ${index} of ${name}`));
  return [asEnvelope(whole, name)];
}

function asEnvelope(value: unknown, where: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw new CarError(`${where} is not a JSON object`, 'each envelope is an object such as {"version":"v0.9","createSurface":{…}}');
  return value;
}

/** `car surfaces show`: the surface's header lines, its component tree and its data model. */
export function surfaceReport(surface: A2uiSurface): string {
  const indent = (lines: string[]) => lines.map((line) => `  ${line}`);
  return [
    `surface     ${surface.surfaceId}`,
    `catalog     ${surface.catalogId}`,
    `owner       ${ownerLabel(surface.owner)}`,
    `revision    ${surface.revision} (updated ${ago(surface.updatedAt)}, expires ${until(surface.expiresAt)})`,
    ...(surface.theme ? [`theme       ${JSON.stringify(surface.theme)}`] : []),
    '',
    `components (${Object.keys(surface.components).length})`,
    ...indent(componentTree(surface)),
    '',
    'data model',
    ...indent(JSON.stringify(surface.dataModel, null, 2).split('\n')),
  ].join('\n');
}
