import { invalidParams, type RpcError } from '../../protocol/errors.js';

/** How deep params may nest (objects and arrays; docs/protocol.md#message-kinds), so no stored value can overflow the stack when it is serialised later. */
export const MAX_PARAMS_DEPTH = 64;

/** `-32602` when `params` nests deeper than the limit; walks iteratively so the check itself cannot overflow. */
export function nestingError(method: string, params: unknown): RpcError | null {
  const stack: { value: unknown; depth: number }[] = [{ value: params, depth: 1 }];
  while (stack.length) {
    const { value, depth } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    if (depth > MAX_PARAMS_DEPTH) {
      return invalidParams(`params of ${method} nest deeper than ${MAX_PARAMS_DEPTH} levels of objects and arrays; flatten the data or send it as a string`, {
        max_depth: MAX_PARAMS_DEPTH,
      });
    }
    for (const child of Object.values(value)) if (child !== null && typeof child === 'object') stack.push({ value: child, depth: depth + 1 });
  }
  return null;
}
