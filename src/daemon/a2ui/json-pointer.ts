import { invalidParams } from '../../protocol/errors.js';

type Json = unknown;
type JsonObject = Record<string, Json>;

const ARRAY_INDEX = /^(0|[1-9]\d*)$/;

/**
 * Parses an RFC 6901 JSON Pointer into reference tokens. As A2UI says for
 * `updateDataModel.path`, an absent path, `""` and `"/"` all mean the whole data model.
 */
export function parsePointer(path: string | undefined): string[] {
  if (path === undefined || path === '' || path === '/') return [];
  if (!path.startsWith('/')) throw malformed(path, 'it must start with "/"');
  return path
    .slice(1)
    .split('/')
    .map((token) => {
      if (/~(?![01])/.test(token)) throw malformed(path, '"~" must be followed by 0 or 1');
      return token.replace(/~1/g, '/').replace(/~0/g, '~');
    });
}

/** A copy of `root` with `value` at `tokens`; missing parents become objects. Only the nodes on the path are copied. */
export function setAt(root: JsonObject, tokens: readonly string[], value: Json, path: string): JsonObject {
  return write(root, tokens, 0, path, { value }) as JsonObject;
}

/** A copy of `root` without the value at `tokens`; removing what is not there changes nothing. */
export function removeAt(root: JsonObject, tokens: readonly string[], path: string): JsonObject {
  return write(root, tokens, 0, path, null) as JsonObject;
}

function write(node: Json, tokens: readonly string[], at: number, path: string, change: { value: Json } | null): Json {
  const token = tokens[at]!;
  const last = at === tokens.length - 1;
  if (Array.isArray(node)) {
    const index = token === '-' ? node.length : arrayIndex(token, path, tokens, at);
    if (index > node.length || (index === node.length && (!change || !last))) {
      if (!change) return node;
      throw invalidParams(
        `updateDataModel path '${path}' points past the end of the array at ${where(tokens, at)} (length ${node.length}); use an index up to ${node.length} or "-" to append`,
        { field: 'path' },
      );
    }
    const copy = [...node];
    if (last) {
      if (change) copy[index] = change.value;
      else copy.splice(index, 1);
      return copy;
    }
    copy[index] = write(index < node.length ? node[index] : {}, tokens, at + 1, path, change);
    return copy;
  }
  if (typeof node !== 'object' || node === null) {
    if (!change) return node;
    throw invalidParams(
      `updateDataModel path '${path}' goes below ${where(tokens, at)}, which holds ${node === null ? 'null' : typeof node}; write the parent as an object first`,
      { field: 'path' },
    );
  }
  const object = node as JsonObject;
  const present = Object.hasOwn(object, token);
  if (!change && !present) return node;
  const copy: JsonObject = { ...object };
  if (last) {
    if (change) defineKey(copy, token, change.value);
    else delete copy[token];
    return copy;
  }
  defineKey(copy, token, write(present ? object[token] : {}, tokens, at + 1, path, change));
  return copy;
}

function arrayIndex(token: string, path: string, tokens: readonly string[], at: number): number {
  if (!ARRAY_INDEX.test(token)) {
    throw invalidParams(`updateDataModel path '${path}' uses '${token}' as an index into the array at ${where(tokens, at)}; use a number or "-"`, {
      field: 'path',
    });
  }
  return Number(token);
}

/** Plain assignment of `__proto__` would replace the prototype instead of adding a key. */
function defineKey(object: JsonObject, key: string, value: Json): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}

function where(tokens: readonly string[], at: number): string {
  return at === 0
    ? 'the root'
    : `'/${tokens
        .slice(0, at)
        .map((t) => t.replace(/~/g, '~0').replace(/\//g, '~1'))
        .join('/')}'`;
}

function malformed(path: string, why: string) {
  const shown = path.length > 120 ? `${path.slice(0, 117)}...` : path;
  return invalidParams(`updateDataModel path '${shown}' is not a valid JSON Pointer: ${why} (e.g. "/user/name")`, { field: 'path' });
}
