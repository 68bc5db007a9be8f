import { a2uiContract } from '../../protocol/a2ui.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { A2uiSurfaceStore } from './store.js';

/** The `a2ui.*` and `a2ui/*` methods (docs/protocol.md#namespace-a2ui); the work is done by `state.a2ui`. */
export const a2uiMethods = (a2ui: A2uiSurfaceStore): MethodTable =>
  implement(a2uiContract, {
    'a2ui.capabilities': {
      handler: (_params) => a2ui.capabilities(),
    },

    'a2ui.apply': {
      handler: (params, { session }) => a2ui.apply(params.envelope, session),
    },

    'a2ui.ingest': {
      // An endpoint off this machine would receive the user's actions (and any route credentials): a human decides (docs/protocol.md#approval-gate).
      needsApproval: (params) => params.allowUntrustedEndpoint === true,
      handler: (params, { session }) => a2ui.ingest(params, session),
    },

    'a2ui.reap': {
      handler: (_params, { session }) => a2ui.reap(session.id),
    },

    'a2ui.surfaces': {
      handler: (_params) => a2ui.surfaces(),
    },

    'a2ui.get': {
      handler: (params) => a2ui.get(params.surfaceId ?? params.surface_id!),
    },

    'a2ui.action': {
      handler: (params, ctx) => a2ui.action(params, ctx),
    },

    'a2ui/subscribe': {
      handler: (_params, { session }) => {
        session.subscriptions.add('a2ui');
        return { subscribed: true as const };
      },
    },

    'a2ui/unsubscribe': {
      handler: (_params, { session }) => {
        session.subscriptions.delete('a2ui');
        return { subscribed: false as const };
      },
    },

    'a2ui/replay': {
      handler: (params) => a2ui.get(params.surfaceId ?? params.surface_id!),
    },
  });
