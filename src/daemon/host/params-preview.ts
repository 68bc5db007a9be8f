/** What an approver sees of a gated call's params (docs/protocol.md#approval-gate): secrets removed, cut at 512 characters. */

export const PREVIEW_CHARS = 512;
/** Deeper values are shown as '…'; a preview never needs them and the walk stays cheap. */
const MAX_DEPTH = 16;

/** Key names (case, '-' and '_' ignored) whose values are credentials: routeAuth, token, host_token, authorization, api keys… */
const SECRET_KEY = /^(.*token|.*secret|.*password|passwd|passphrase|.*credentials?|authorization|.*auth|.*apikey|cookie|setcookie|privatekey)$/;

export function isSecretKey(key: string): boolean {
  return SECRET_KEY.test(key.toLowerCase().replace(/[-_]/g, ''));
}

/** A copy of `value` without any property whose key names a credential, at any depth. */
export function withoutSecrets(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '…';
  if (Array.isArray(value)) return value.map((item) => withoutSecrets(item, depth + 1));
  const copy: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!isSecretKey(key)) copy[key] = withoutSecrets(inner, depth + 1);
  return copy;
}

export function paramsPreview(params: unknown): { preview: string; truncated: boolean } {
  const json = JSON.stringify(withoutSecrets(params)) ?? 'null';
  if (json.length <= PREVIEW_CHARS) return { preview: json, truncated: false };
  return { preview: `${json.slice(0, PREVIEW_CHARS - 1)}…`, truncated: true };
}
