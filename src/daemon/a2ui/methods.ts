import { a2uiActionParams, a2uiApplyParams, a2uiEmptyParams, a2uiIngestParams, a2uiSurfaceRefParams } from '../../protocol/a2ui.js';
import { method, type MethodTable } from '../rpc/method-table.js';

/** The `a2ui.*` and `a2ui/*` methods (§17.6); the work is done by `state.a2ui`. */
export const a2uiMethods: MethodTable = {
  'a2ui.capabilities': method({
    params: a2uiEmptyParams,
    handler: (_params, { state }) => state.a2ui.capabilities(),
  }),

  'a2ui.apply': method({
    params: a2uiApplyParams,
    handler: (params, { state, session }) => state.a2ui.apply(params.envelope, session),
  }),

  'a2ui.ingest': method({
    params: a2uiIngestParams,
    // An endpoint off this machine would receive the user's actions (and any route credentials): a human decides (§13).
    needsApproval: (params) => params.allowUntrustedEndpoint === true,
    handler: (params, { state, session }) => state.a2ui.ingest(params, session),
  }),

  'a2ui.reap': method({
    params: a2uiEmptyParams,
    handler: (_params, { state, session }) => state.a2ui.reap(session.id),
  }),

  'a2ui.surfaces': method({
    params: a2uiEmptyParams,
    handler: (_params, { state }) => state.a2ui.surfaces(),
  }),

  'a2ui.get': method({
    params: a2uiSurfaceRefParams,
    handler: (params, { state }) => state.a2ui.get(params.surfaceId ?? params.surface_id!),
  }),

  'a2ui.action': method({
    params: a2uiActionParams,
    handler: (params, ctx) => ctx.state.a2ui.action(params, ctx),
  }),

  'a2ui/subscribe': method({
    params: a2uiEmptyParams,
    handler: (_params, { session }) => {
      session.subscriptions.add('a2ui');
      return { subscribed: true as const };
    },
  }),

  'a2ui/unsubscribe': method({
    params: a2uiEmptyParams,
    handler: (_params, { session }) => {
      session.subscriptions.delete('a2ui');
      return { subscribed: false as const };
    },
  }),

  'a2ui/replay': method({
    params: a2uiSurfaceRefParams,
    handler: (params, { state }) => state.a2ui.get(params.surfaceId ?? params.surface_id!),
  }),
};
