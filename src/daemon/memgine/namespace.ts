import { invalidParams } from '../../protocol/errors.js';
import { memoryNamespace } from '../../protocol/memory.js';

/** Called by `session.auth` before binding: `-32602` naming the rule the namespace broke. */
export function assertValidNamespace(namespace: string): void {
  const checked = memoryNamespace.safeParse(namespace);
  if (!checked.success) {
    throw invalidParams(`invalid memory_namespace: it ${checked.error.issues[0]!.message}; pick a plain name such as 'work' or 'meetings'`, {
      field: 'memory_namespace',
    });
  }
}

const KEPT = /[a-z0-9._-]/;

/**
 * Upstream's injective encoding (docs/protocol.md#memory-graphs): `a-z 0-9 - _ .` stay as they are, every other byte
 * (uppercase letters too) becomes lowercase `%xx`, so `A` and `a` never share a graph.
 */
export function encodeNamespace(namespace: string): string {
  let encoded = '';
  for (const byte of Buffer.from(namespace, 'utf8')) {
    const char = String.fromCharCode(byte);
    encoded += KEPT.test(char) ? char : `%${byte.toString(16).padStart(2, '0')}`;
  }
  return encoded;
}
