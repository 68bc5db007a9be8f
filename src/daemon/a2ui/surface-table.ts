import type { A2uiApplyResult, A2uiComponent, A2uiLimits, A2uiSurface, A2uiSurfaceOwner } from '../../protocol/a2ui.js';
import { forbidden, invalidParams, notFound, RpcError } from '../../protocol/errors.js';
import { parseEnvelope, type ComponentUpdate, type ParsedEnvelope } from './envelope.js';
import { parsePointer, removeAt, setAt } from './json-pointer.js';
import { checkJsonLimits, jsonBytes, limitExceeded } from './limits.js';

export interface ApplyOptions {
  /** Owner of the surfaces this batch creates. */
  owner: A2uiSurfaceOwner;
  /** Also hand the surfaces this batch updates to `owner` (an A2A peer continuing its task). */
  reassignOwner: boolean;
  /** Prefix errors with the envelope's index in the batch (ingest). */
  numbered: boolean;
  /** Whether the caller may replace, update or delete this existing surface (docs/protocol.md#ownership). */
  mayChange(surface: A2uiSurface): boolean;
}

export interface AppliedEnvelope {
  envelope: ParsedEnvelope;
  result: A2uiApplyResult;
  /** The surface's owner was set by this envelope, so credentials recorded for the old owner no longer apply. */
  ownerAssigned: boolean;
}

type Lookup = (surfaceId: string) => A2uiSurface | undefined;

/**
 * The surfaces themselves (docs/protocol.md#type-a2uisurface), without wiring. A batch of envelopes is validated and
 * applied to staged copies first; only when every envelope succeeded are the copies
 * committed, so a failure leaves nothing half-applied. Records are never mutated after
 * they are handed out: every change produces a new record.
 */
export class SurfaceTable {
  private readonly surfaces = new Map<string, A2uiSurface>();

  constructor(
    private readonly limits: A2uiLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Surfaces that have not expired, oldest first. */
  live(): A2uiSurface[] {
    const now = this.now();
    return [...this.surfaces.values()].filter((surface) => !isExpired(surface, now));
  }

  get(surfaceId: string): A2uiSurface | undefined {
    const surface = this.surfaces.get(surfaceId);
    return surface && !isExpired(surface, this.now()) ? surface : undefined;
  }

  apply(raws: readonly Record<string, unknown>[], options: ApplyOptions): AppliedEnvelope[] {
    const envelopes = raws.map((raw, index) => this.numbered(options, index, () => parseEnvelope(raw, this.limits)));
    const now = this.now();
    const staged = new Map<string, A2uiSurface | null>();
    const liveIds = new Set(this.live().map((surface) => surface.surfaceId));
    const lookup: Lookup = (id) => (staged.has(id) ? (staged.get(id) ?? undefined) : this.get(id));

    const applied = envelopes.map((envelope, index) =>
      this.numbered(options, index, () => {
        const step = this.step(envelope, lookup, liveIds, options, now);
        const surface = step.result.surface ?? null;
        if (step.result.deleted || surface) {
          staged.set(envelope.surfaceId, surface);
          if (surface) liveIds.add(envelope.surfaceId);
          else liveIds.delete(envelope.surfaceId);
        }
        return step;
      }),
    );
    for (const [id, surface] of staged) {
      if (surface) this.surfaces.set(id, surface);
      else this.surfaces.delete(id);
    }
    return applied;
  }

  /** Drops expired surfaces and returns their ids. */
  removeExpired(): string[] {
    const now = this.now();
    const removed: string[] = [];
    for (const [id, surface] of this.surfaces) {
      if (isExpired(surface, now)) {
        this.surfaces.delete(id);
        removed.push(id);
      }
    }
    return removed;
  }

  private step(envelope: ParsedEnvelope, lookup: Lookup, liveIds: Set<string>, options: ApplyOptions, now: number): AppliedEnvelope {
    const { surfaceId } = envelope;
    const existing = this.get(surfaceId);
    // Only surfaces from before this batch are checked: one created earlier in the batch is the caller's own.
    if (existing && lookup(surfaceId) === existing && !options.mayChange(existing)) {
      throw forbidden(
        `surface '${surfaceId}' belongs to another session; only the session that created it or a host session may change or delete it (actions stay open to all)`,
        { field: 'surfaceId' },
      );
    }
    if (envelope.kind === 'deleteSurface') {
      return { envelope, result: { surfaceId, deleted: lookup(surfaceId) !== undefined }, ownerAssigned: false };
    }
    const touched = this.stamp(now);
    if (envelope.kind === 'createSurface') {
      if (!liveIds.has(surfaceId) && liveIds.size >= this.limits.maxSurfaces) {
        throw limitExceeded(
          'maxSurfaces',
          this.limits.maxSurfaces,
          `the daemon already holds maxSurfaces (${this.limits.maxSurfaces}) surfaces; delete some with deleteSurface or wait for them to expire`,
        );
      }
      const surface: A2uiSurface = {
        surfaceId,
        catalogId: envelope.catalogId,
        theme: envelope.theme,
        sendDataModel: envelope.sendDataModel,
        components: {},
        dataModel: {},
        owner: options.owner,
        revision: 1,
        createdAt: touched.updatedAt,
        ...touched,
      };
      return { envelope, result: { surfaceId, deleted: false, surface }, ownerAssigned: true };
    }

    const current = lookup(surfaceId);
    if (!current)
      throw notFound(`unknown surface '${surfaceId}'; send a createSurface envelope for it first (a2ui.surfaces lists live surfaces)`, { field: 'surfaceId' });
    const owner = options.reassignOwner ? options.owner : current.owner;
    const next: A2uiSurface = { ...current, owner, revision: current.revision + 1, ...touched };
    if (envelope.kind === 'updateComponents') next.components = this.upsert(current.components, envelope.components);
    else next.dataModel = this.writeDataModel(current.dataModel, envelope.path, envelope.value);
    const bytes = jsonBytes(next);
    if (bytes > this.limits.maxSurfaceBytes) {
      throw limitExceeded(
        'maxSurfaceBytes',
        this.limits.maxSurfaceBytes,
        `surface '${surfaceId}' would be ${bytes} bytes serialised, over maxSurfaceBytes (${this.limits.maxSurfaceBytes}); move bulk data out of the surface or split it into several surfaces`,
      );
    }
    return { envelope, result: { surfaceId, deleted: false, surface: next }, ownerAssigned: options.reassignOwner };
  }

  private upsert(existing: Record<string, A2uiComponent>, updates: readonly ComponentUpdate[]): Record<string, A2uiComponent> {
    const components = { ...existing };
    for (const update of updates) {
      if (update.component === null) delete components[update.id];
      else Object.defineProperty(components, update.id, { value: update, enumerable: true, writable: true, configurable: true });
    }
    const count = Object.keys(components).length;
    if (count > this.limits.maxComponentsPerSurface) {
      throw limitExceeded(
        'maxComponentsPerSurface',
        this.limits.maxComponentsPerSurface,
        `the surface would hold ${count} components, over maxComponentsPerSurface (${this.limits.maxComponentsPerSurface}); remove some (component: null) or split the UI`,
      );
    }
    return components;
  }

  private writeDataModel(model: Record<string, unknown>, path: string | undefined, value: unknown): Record<string, unknown> {
    const tokens = parsePointer(path);
    let next: Record<string, unknown>;
    if (tokens.length > 0) next = value === undefined ? removeAt(model, tokens, path!) : setAt(model, tokens, value, path!);
    else if (value === undefined) next = {};
    else if (typeof value === 'object' && value !== null && !Array.isArray(value)) next = value as Record<string, unknown>;
    else
      throw invalidParams('updateDataModel without a path replaces the whole data model, so value must be an object; pass a path to write a single value', {
        field: 'value',
      });
    checkJsonLimits(next, this.limits, 'the data model', 'maxDataModelBytes');
    return next;
  }

  private stamp(now: number): Pick<A2uiSurface, 'updatedAt' | 'expiresAt'> {
    return { updatedAt: new Date(now).toISOString(), expiresAt: new Date(now + this.limits.surfaceTtlSeconds * 1000).toISOString() };
  }

  private numbered<T>(options: ApplyOptions, index: number, run: () => T): T {
    try {
      return run();
    } catch (error) {
      if (!options.numbered || !(error instanceof RpcError)) throw error;
      throw new RpcError(error.code, `envelope ${index}: ${error.message}`, { ...error.data, index });
    }
  }
}

function isExpired(surface: A2uiSurface, now: number): boolean {
  return Date.parse(surface.expiresAt) <= now;
}
