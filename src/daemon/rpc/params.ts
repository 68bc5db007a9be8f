import { z } from 'zod';
import { invalidParams, type RpcError } from '../../protocol/errors.js';

/** Turns a schema failure into one `-32602` that names the field and, for unknown keys, the allowed ones. */
export function paramsError(method: string, schema: z.ZodType, error: z.ZodError): RpcError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.');
  if (issue.code === 'unrecognized_keys') {
    const allowed = allowedKeys(schema, issue.path);
    const where = field ? ` in '${field}'` : '';
    const list = allowed.length ? allowed.join(', ') : 'none';
    return invalidParams(
      `unknown param${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${k}'`).join(', ')}${where} for ${method}; allowed: ${list}`,
      {
        field: field || issue.keys[0],
        allowed,
      },
    );
  }
  const subject = field ? `param '${field}'` : 'params';
  return invalidParams(`invalid ${subject} for ${method}: ${describe(issue)}`, field ? { field } : undefined);
}

function describe(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.startsWith('Invalid input')) {
    return issue.input === undefined ? `required ${issue.expected} is missing` : `expected ${issue.expected}, got ${typeName(issue.input)}`;
  }
  return issue.message.replace(/^Invalid input: /, '');
}

function typeName(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  return typeof value;
}

function allowedKeys(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
  let node: unknown = schema;
  for (const key of path) node = child(node, key);
  const shape = objectShape(node);
  return shape ? Object.keys(shape) : [];
}

type Node = { shape?: Record<string, unknown>; unwrap?: () => unknown; in?: Node; out?: Node; element?: unknown; valueType?: unknown } | undefined;

/** The schema of `key` under `node`: an object's property, an array's element, a record's value. */
function child(node: unknown, key: PropertyKey): unknown {
  const current = unwrapped(node as Node, (n) => Boolean(n.shape || n.element || n.valueType));
  if (current?.shape) return current.shape[String(key)];
  return current?.element ?? current?.valueType;
}

function objectShape(node: unknown): Record<string, unknown> | undefined {
  return unwrapped(node as Node, (n) => Boolean(n.shape))?.shape;
}

/** Optional, nullable, default and pipe wrappers (`z.preprocess`, `.transform`) peeled off until `found` holds. */
function unwrapped(node: Node, found: (node: NonNullable<Node>) => boolean): Node {
  let current = node;
  while (current && !found(current) && (typeof current.unwrap === 'function' || current.in))
    current = typeof current.unwrap === 'function' ? (current.unwrap() as Node) : current.in?.shape ? current.in : current.out;
  return current;
}
