import {
  A2UI_CATALOG_IDS,
  A2UI_COMPONENTS,
  A2UI_MIME_TYPE,
  A2UI_VERSION,
  type A2uiAction,
  type A2uiActionParams,
  type A2uiApplyResult,
  type A2uiCapabilities,
  type A2uiEventParams,
  type A2uiIngestParams,
  type A2uiLimits,
  type A2uiRoute,
  type A2uiSurface,
  type A2uiSurfaceOwner,
} from '../../protocol/a2ui.js';
import { notFound } from '../../protocol/errors.js';
import type { HostEvent } from '../../protocol/host.js';
import { log } from '../log.js';
import type { CallContext } from '../rpc/method-table.js';
import { notificationFrame, type ClientSession } from '../sessions/client-session.js';
import type { HostState } from '../host/host-state.js';
import type { CapabilityHost, SessionDirectory } from '../state/capability.js';
import { A2aContinuationClient } from './continuation.js';
import { findEnvelopes } from './ingest.js';
import { checkJsonLimits, resolveLimits } from './limits.js';
import type { A2uiRouteAuthStore, RouteCredentials } from './route-auth.js';
import { SurfaceTable, type AppliedEnvelope } from './surface-table.js';

const REAP_INTERVAL_MS = 60_000;

/**
 * `ServerState.a2ui` (docs/protocol.md#namespace-a2ui): the shared surface store. It validates and applies envelopes,
 * journals and broadcasts what changed (`a2ui.event` to `a2ui/subscribe`rs, `host.event`
 * to host subscribers), keeps route credentials in the private route-auth store, delivers
 * user actions, and reaps expired surfaces every minute.
 */
export class A2uiSurfaceStore {
  readonly limits: A2uiLimits;
  private readonly table: SurfaceTable;
  private readonly continuation = new A2aContinuationClient();
  /** Which session created each surface, kept here so the surface record (a protocol shape) stays as it is. */
  private readonly creators = new Map<string, string>();
  private reaper: NodeJS.Timeout | null = null;

  constructor(
    private readonly core: CapabilityHost,
    /** Every surface change and action is also a `host.event`. */
    private readonly host: Pick<HostState, 'emit'>,
    private readonly sessions: SessionDirectory,
    private readonly routeAuth: A2uiRouteAuthStore,
    limits?: Partial<A2uiLimits>,
  ) {
    this.limits = resolveLimits(limits);
    this.table = new SurfaceTable(this.limits);
    core.lifecycle.onTeardown(2, 'drop the a2ui subscription', (session) => void session.subscriptions.delete('a2ui'));
    core.onStart(() => {
      this.reaper = setInterval(() => this.reap(null), REAP_INTERVAL_MS).unref();
    });
    core.onClose(() => {
      if (this.reaper) clearInterval(this.reaper);
      this.reaper = null;
    });
  }

  capabilities(): A2uiCapabilities {
    return { version: A2UI_VERSION, mimeType: A2UI_MIME_TYPE, catalogs: [...A2UI_CATALOG_IDS], components: [...A2UI_COMPONENTS], limits: { ...this.limits } };
  }

  surfaces(): A2uiSurface[] {
    return this.table.live();
  }

  get(surfaceId: string): A2uiSurface | null {
    return this.table.get(surfaceId) ?? null;
  }

  /** Who may change a surface (docs/protocol.md#ownership): the session that created it, or any host session. */
  private changeableBy(session: ClientSession): (surface: A2uiSurface) => boolean {
    return (surface) => session.hasHostRights || this.creators.get(surface.surfaceId) === session.id;
  }

  private recordCreators(applied: readonly AppliedEnvelope[], session: ClientSession): void {
    for (const { envelope } of applied) {
      if (envelope.kind === 'createSurface') this.creators.set(envelope.surfaceId, session.id);
      else if (envelope.kind === 'deleteSurface') this.creators.delete(envelope.surfaceId);
    }
    // Expired surfaces leave no trace behind.
    if (this.creators.size > this.table.live().length * 2 + 64) for (const id of this.creators.keys()) if (!this.table.get(id)) this.creators.delete(id);
  }

  /** `a2ui.apply`: one envelope on behalf of a session, which owns the surfaces it creates. */
  apply(envelope: Record<string, unknown>, session: ClientSession): A2uiApplyResult {
    const owner: A2uiSurfaceOwner = { kind: 'session', sessionId: session.id };
    const applied = this.table.apply([envelope], { owner, reassignOwner: false, numbered: false, mayChange: this.changeableBy(session) });
    this.recordCreators(applied, session);
    this.publish(applied, session.id, null);
    return applied[0]!.result;
  }

  /** `a2ui.ingest` (docs/protocol.md#a2ui-ingest): every envelope found in an A2A value, all or nothing. */
  ingest(params: A2uiIngestParams, session: ClientSession): { applied: A2uiApplyResult[] } {
    const found = findEnvelopes(params.payload, this.limits);
    // An explicit owner or endpoint takes over the surfaces it touches; ids found in the payload only mark new ones.
    const explicit = params.owner !== undefined || params.endpoint !== undefined;
    const fromPeer = explicit || found.taskId !== null || found.contextId !== null;
    const owner: A2uiSurfaceOwner = fromPeer
      ? {
          kind: 'a2a',
          taskId: params.owner?.taskId !== undefined ? params.owner.taskId : found.taskId,
          contextId: params.owner?.contextId !== undefined ? params.owner.contextId : found.contextId,
          endpoint: params.endpoint ?? null,
        }
      : { kind: 'session', sessionId: session.id };
    const applied = this.table.apply(found.envelopes, { owner, reassignOwner: explicit, numbered: true, mayChange: this.changeableBy(session) });
    this.recordCreators(applied, session);
    const credentials =
      params.endpoint !== undefined && params.routeAuth !== undefined && params.routeAuth.type !== 'none'
        ? { endpoint: params.endpoint, auth: params.routeAuth }
        : null;
    this.publish(applied, session.id, credentials);
    return { applied: applied.map((step) => step.result) };
  }

  /** Deletes expired surfaces and their route auth; called by `a2ui.reap` and every minute. */
  reap(sessionId: string | null): { removed: string[] } {
    const removed = this.table.removeExpired();
    for (const surfaceId of removed) {
      this.routeAuth.delete(surfaceId);
      this.broadcast({ kind: 'a2ui.surface_deleted', result: { surfaceId, deleted: true } }, `surface '${surfaceId}' expired`);
    }
    if (removed.length > 0) {
      this.core.journal.append('a2ui_reaped', sessionId, { removed });
      log.info('a2ui surfaces expired', { count: removed.length });
    }
    return { removed };
  }

  /** `a2ui.action` (docs/protocol.md#a2ui-action): tell subscribers, continue the A2A task if the surface has a peer, record it for hosts. */
  async action(params: A2uiActionParams, ctx: CallContext): Promise<{ event: HostEvent; route: A2uiRoute }> {
    const surface = this.table.get(params.surfaceId);
    if (!surface)
      throw notFound(`unknown surface '${params.surfaceId}'; it was deleted or has expired (a2ui.surfaces lists live surfaces)`, { field: 'surfaceId' });
    const action: A2uiAction = {
      name: (params.name ?? params.action)!,
      surfaceId: surface.surfaceId,
      sourceComponentId: params.sourceComponentId ?? null,
      timestamp: params.timestamp ?? new Date().toISOString(),
      context: params.context ?? {},
    };
    checkJsonLimits(action, this.limits, 'the action');

    const subscribers = this.notifySubscribers({ kind: 'a2ui.action', result: { surfaceId: surface.surfaceId, action, owner: surface.owner } });
    const route = await this.route(surface, action, subscribers, ctx.signal);
    const event = this.host.emit('a2ui.action', {
      message: `action '${action.name}' on surface '${surface.surfaceId}'`,
      payload: { surfaceId: surface.surfaceId, action, owner: surface.owner, route },
    });
    const routeStatus = route.kind === 'none' ? 'none' : route.status;
    this.core.journal.append('a2ui_action', ctx.session.id, { surface_id: surface.surfaceId, name: action.name, route_status: routeStatus });
    if (routeStatus === 'failed')
      log.warn('a2ui action could not continue the A2A task', { surface: surface.surfaceId, error: (route as { error: string }).error });
    return { event, route };
  }

  private route(surface: A2uiSurface, action: A2uiAction, subscribers: number, signal: AbortSignal): Promise<A2uiRoute> | A2uiRoute {
    const { owner } = surface;
    if (owner.kind !== 'a2a' || owner.endpoint === null) return { kind: 'none', subscribers };
    const auth = this.routeAuth.forEndpoint(surface.surfaceId, owner.endpoint);
    return this.continuation.send({ endpoint: owner.endpoint, taskId: owner.taskId, contextId: owner.contextId }, action, auth, signal);
  }

  /** Journals, updates route auth and broadcasts each applied envelope, in order. */
  private publish(applied: readonly AppliedEnvelope[], sessionId: string, credentials: RouteCredentials | null): void {
    for (const { envelope, result, ownerAssigned } of applied) {
      const { surfaceId } = result;
      if (result.deleted) {
        this.routeAuth.delete(surfaceId);
        this.core.journal.append('a2ui_deleted', sessionId, { surface_id: surfaceId });
        this.broadcast({ kind: 'a2ui.surface_deleted', result }, `surface '${surfaceId}' deleted`);
      } else if (result.surface) {
        if (ownerAssigned) {
          if (credentials) this.routeAuth.set(surfaceId, credentials);
          else this.routeAuth.delete(surfaceId);
        }
        this.core.journal.append('a2ui_applied', sessionId, { surface_id: surfaceId, envelope: envelope.raw });
        this.broadcast({ kind: 'a2ui.surface_updated', result }, `surface '${surfaceId}' revision ${result.surface.revision}`);
      }
    }
  }

  private broadcast(event: A2uiEventParams, message: string): void {
    if (event.kind === 'a2ui.action') {
      this.host.emit(event.kind, { message, payload: event.result });
    } else {
      // The history keeps only which surface changed: 500 whole surfaces could hold gigabytes, and a2ui.get reads the current one.
      const { surfaceId, deleted, surface } = event.result;
      this.host.emit(event.kind, { message, payload: event.result, retainedPayload: { surfaceId, deleted, revision: surface?.revision ?? null } });
    }
    this.notifySubscribers(event);
  }

  /** Sends `a2ui.event` to every subscribed connection; returns how many there were. */
  private notifySubscribers(event: A2uiEventParams): number {
    let count = 0;
    let frame: string | undefined;
    for (const session of this.sessions.values()) {
      if (!session.subscriptions.has('a2ui')) continue;
      frame ??= notificationFrame('a2ui.event', event);
      session.send(frame);
      count++;
    }
    return count;
  }
}
