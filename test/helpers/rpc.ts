import assert from 'node:assert/strict';
import { RpcError } from '../../src/protocol/errors.js';

/** Asserts `error` is an RpcError with this code and, when given, a message matching `pattern`. */
export function assertRpcError(error: unknown, code: number, pattern?: RegExp): asserts error is RpcError {
  assert.ok(error instanceof RpcError, `expected an RpcError, got ${String(error)}`);
  assert.equal(error.code, code, `code of: ${error.message}`);
  if (pattern) assert.match(error.message, pattern);
}

/** An `assert.rejects` validator: an RpcError with this code and a message matching `pattern`. */
export const rpcError = (code: number, pattern?: RegExp) => (error: unknown) => {
  assertRpcError(error, code, pattern);
  return true;
};

/** The call fails with this JSON-RPC code and a message matching `pattern`; returns the error for further checks. */
export async function rejectsWith(promise: Promise<unknown>, code: number, pattern: RegExp): Promise<RpcError> {
  let caught: RpcError | undefined;
  await assert.rejects(promise, (error: unknown) => {
    assertRpcError(error, code, pattern);
    caught = error;
    return true;
  });
  return caught!;
}
