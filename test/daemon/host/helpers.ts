import assert from 'node:assert/strict';
import type { CarClient } from '../../../src/client/node.js';
import type { HostApproval, HostEvent } from '../../../src/protocol/host.js';
import { rpcError } from '../../helpers/rpc.js';

/** Helpers shared by the host registry tests. */

/** Every `host.event` the client receives from now on, in arrival order. */
export function collectEvents(client: CarClient): HostEvent[] {
  const seen: HostEvent[] = [];
  client.on('host.event', (event) => seen.push(event));
  return seen;
}

export async function selfId(client: CarClient): Promise<string> {
  const { sessions } = await client.call('sessions.list', {});
  return sessions.find((session) => session.is_self)!.id;
}

/** The pending system approval the gate raised for `method`, once it exists. */
export async function gateApproval(client: CarClient, method: string): Promise<HostApproval> {
  let found: HostApproval | undefined;
  const deadline = Date.now() + 15_000;
  while (!found && Date.now() < deadline) {
    const { approvals } = await client.call('host.approvals', { status: 'pending' });
    found = approvals.find((approval) => approval.action === `ws.method:${method}`);
    if (!found) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.ok(found, `no pending approval for ${method}`);
  return found;
}

/** Observes a call at once, so a rejection that arrives while the test does something else is never unhandled. */
export function outcomeOf<T>(call: Promise<T>): Promise<{ value: T } | { error: unknown }> {
  return call.then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
}

/** Asserts the observed call failed with this RPC error. */
export async function assertFailed(outcome: Promise<{ value: unknown } | { error: unknown }>, code: number, pattern?: RegExp): Promise<void> {
  const settled = await outcome;
  assert.ok('error' in settled, `expected the call to fail with ${code}, it returned ${JSON.stringify((settled as { value: unknown }).value)}`);
  rpcError(code, pattern)(settled.error);
}
