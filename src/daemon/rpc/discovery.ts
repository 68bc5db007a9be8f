import type { MethodGates, OpenRpcDocument } from '../../protocol/discover.js';
import { discoveryContract } from '../../protocol/discover.js';
import { contractDocument } from '../../protocol/openrpc.js';
import { implement, type MethodSpec, type MethodTable } from './method-table.js';
import { RawJson } from './raw-json.js';
import type { MethodRegistry } from './registry.js';

/** What a method's table says about its gates, in the words of `rpc.discover`. */
export function gatesOf(spec: MethodSpec): MethodGates {
  return {
    before_auth: spec.allowBeforeAuth === true,
    handshake: spec.needsHandshake === true,
    host_role: spec.hostOnly === true,
    request_id: spec.requiresId === true,
    approval: spec.needsApproval ? 'some calls' : 'never',
  };
}

/** The contract's OpenRPC document with the gates the registry's tables declare. */
export function describeContract(registry: Pick<MethodRegistry, 'get'>, url?: string): OpenRpcDocument {
  return contractDocument({
    gates: (method) => {
      const spec = registry.get(method);
      return spec && gatesOf(spec);
    },
    url,
  });
}

/**
 * `rpc.discover`: after sign-in like every method but `session.auth`. The document (about
 * 80 KB) is built and serialised on the first call, when every table is registered, and
 * kept: the contract cannot change while the daemon runs.
 */
export function discoveryMethods(registry: Pick<MethodRegistry, 'get'>, url: () => string | null): MethodTable {
  let serialised: RawJson<OpenRpcDocument> | undefined;
  return implement(discoveryContract, {
    'rpc.discover': { handler: () => (serialised ??= new RawJson([Buffer.from(JSON.stringify(describeContract(registry, url() ?? undefined)))])) },
  });
}
