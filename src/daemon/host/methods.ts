import { emptyParams } from '../../protocol/core.js';
import {
  hostApprovalsParams,
  hostEventsParams,
  notifyParams,
  registerAgentParams,
  requestApprovalParams,
  resolveApprovalParams,
  setStatusParams,
  unregisterAgentParams,
} from '../../protocol/host.js';
import { method, type MethodTable } from '../rpc/method-table.js';

/** The `host.*` methods (§12.2, §12.3); the work and the ACL of §12.4 live in `state.host`. */
export const hostMethods: MethodTable = {
  'host.subscribe': method({
    params: emptyParams,
    needsHandshake: true,
    handler: (_params, { state, session }) => state.host.subscribe(session),
  }),

  'host.unsubscribe': method({
    params: emptyParams,
    handler: (_params, { state, session }) => state.host.unsubscribe(session),
  }),

  'host.agents': method({
    params: emptyParams,
    handler: (_params, { state }) => state.host.listAgents(),
  }),

  'host.events': method({
    params: hostEventsParams,
    handler: (params, { state }) => ({ events: state.host.latestEvents(params.limit) }),
  }),

  'host.approvals': method({
    params: hostApprovalsParams,
    handler: (params, { state }) => ({ approvals: state.host.listApprovals(params.status) }),
  }),

  'host.register_agent': method({
    params: registerAgentParams,
    handler: (params, { state, session }) => state.host.registerAgent(params, session),
  }),

  'host.unregister_agent': method({
    params: unregisterAgentParams,
    handler: (params, { state, session }) => state.host.unregisterAgent(params.agent_id, session),
  }),

  'host.set_status': method({
    params: setStatusParams,
    handler: (params, { state, session }) => state.host.setStatus(params, session),
  }),

  'host.notify': method({
    params: notifyParams,
    handler: (params, { state, session }) => state.host.notify(params, session),
  }),

  'host.request_approval': method({
    params: requestApprovalParams,
    handler: (params, { state, session }) => state.host.requestApproval(params, session),
  }),

  'host.resolve_approval': method({
    params: resolveApprovalParams,
    handler: (params, { state, session }) => state.host.resolveApproval(params, session),
  }),
};
