import { hostContract } from '../../protocol/host.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { HostState } from './host-state.js';

/** The `host.*` methods (docs/protocol.md#namespace-host); the work and the ownership rules (docs/protocol.md#ownership) live in `state.host`. */
export const hostMethods = (host: HostState): MethodTable =>
  implement(hostContract, {
    'host.subscribe': {
      needsHandshake: true,
      handler: (_params, { session }) => host.subscribe(session),
    },

    'host.unsubscribe': {
      handler: (_params, { session }) => host.unsubscribe(session),
    },

    'host.agents': {
      handler: (_params) => host.listAgents(),
    },

    'host.events': {
      handler: (params) => ({ events: host.latestEvents(params.limit) }),
    },

    'host.approvals': {
      handler: (params) => ({ approvals: host.listApprovals(params.status) }),
    },

    'host.register_agent': {
      handler: (params, { session }) => host.registerAgent(params, session),
    },

    'host.unregister_agent': {
      handler: (params, { session }) => host.unregisterAgent(params.agent_id, session),
    },

    'host.set_status': {
      handler: (params, { session }) => host.setStatus(params, session),
    },

    'host.notify': {
      handler: (params, { session }) => host.notify(params, session),
    },

    'host.request_approval': {
      handler: (params, { session }) => host.requestApproval(params, session),
    },

    'host.resolve_approval': {
      handler: (params, { session }) => host.resolveApproval(params, session),
    },
  });
