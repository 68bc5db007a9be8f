import type { A2uiLimits } from '../../protocol/a2ui.js';
import { ErrorCode, RpcError } from '../../protocol/errors.js';

/** The defaults of docs/protocol.md#type-a2uilimits; an embedder (or a test) overrides any of them through `ServerStateConfig.a2uiLimits`. */
export const DEFAULT_A2UI_LIMITS: Readonly<A2uiLimits> = Object.freeze({
  maxSurfaces: 256,
  maxComponentsPerSurface: 1000,
  maxEnvelopeBytes: 1024 * 1024,
  maxDataModelBytes: 1024 * 1024,
  maxSurfaceBytes: 4 * 1024 * 1024,
  maxStringBytes: 64 * 1024,
  maxDepth: 32,
  surfaceTtlSeconds: 86_400,
  maxIngestEnvelopes: 64,
});

export function resolveLimits(overrides: Partial<A2uiLimits> = {}): A2uiLimits {
  const limits = { ...DEFAULT_A2UI_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!(Number.isFinite(value) && value > 0)) throw new RangeError(`a2uiLimits.${key} must be a positive number, got ${String(value)}`);
  }
  return limits;
}

/** `LimitExceeded` (docs/protocol.md#type-a2uilimits): `-32013` with the upstream name as `data.kind` and the limit that was hit. */
export function limitExceeded(limit: keyof A2uiLimits, max: number, message: string): RpcError {
  return new RpcError(ErrorCode.LimitExceeded, message, { kind: 'LimitExceeded', limit, max });
}

/** Serialised size in bytes, as the limits count it. */
export function jsonBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value) ?? '');
}

/**
 * Checks nesting depth, every string (keys included) and the serialised size of a JSON
 * value against the limits. The walk stops one level past `maxDepth`, so an absurdly deep
 * value is refused without recursing through it.
 */
export function checkJsonLimits(
  value: unknown,
  limits: A2uiLimits,
  what: string,
  sizeLimit: 'maxEnvelopeBytes' | 'maxDataModelBytes' = 'maxEnvelopeBytes',
): void {
  const visit = (node: unknown, depth: number, path: string): void => {
    if (typeof node === 'string') {
      checkString(node, path);
      return;
    }
    if (typeof node !== 'object' || node === null) return;
    if (depth > limits.maxDepth) {
      throw limitExceeded('maxDepth', limits.maxDepth, `${what} nests deeper than maxDepth (${limits.maxDepth} levels) at ${shorten(path)}; flatten it`);
    }
    if (Array.isArray(node)) {
      node.forEach((item, index) => visit(item, depth + 1, `${path}/${index}`));
      return;
    }
    for (const [key, item] of Object.entries(node)) {
      checkString(key, `${path} (a key)`);
      visit(item, depth + 1, `${path}/${key}`);
    }
  };
  const checkString = (text: string, path: string) => {
    // A string's UTF-8 size is at most 3 bytes per UTF-16 unit: skip the count for short ones.
    if (text.length * 3 <= limits.maxStringBytes) return;
    const bytes = Buffer.byteLength(text);
    if (bytes > limits.maxStringBytes) {
      throw limitExceeded(
        'maxStringBytes',
        limits.maxStringBytes,
        `${what} has a ${bytes}-byte string at ${shorten(path || '/')}, over maxStringBytes (${limits.maxStringBytes}); shorten it`,
      );
    }
  };
  visit(value, 1, '');
  const bytes = jsonBytes(value);
  const max = limits[sizeLimit];
  if (bytes > max) throw limitExceeded(sizeLimit, max, `${what} is ${bytes} bytes serialised, over ${sizeLimit} (${max}); split it into smaller updates`);
}

function shorten(path: string): string {
  return path.length > 120 ? `${path.slice(0, 117)}...` : path;
}
