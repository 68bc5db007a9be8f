import { z } from 'zod';
import { accepts, defineMethods, defineNotifications } from './descriptor.js';
import { isLoopbackHost } from './text.js';
import { hostEvent } from './host.js';

/** A2UI surfaces (docs/protocol.md#namespace-a2ui): envelopes, the basic catalog, limits, records, methods and events. */

export const A2UI_VERSION = 'v0.9';
export const A2UI_MIME_TYPE = 'application/json+a2ui';

/** The 18 components of the published v0.9 basic catalog plus the six CAR adds (docs/protocol.md#a2ui-capabilities). */
export const A2UI_COMPONENTS = [
  'Text',
  'Row',
  'Column',
  'List',
  'Card',
  'Divider',
  'Button',
  'TextField',
  'CheckBox',
  'ChoicePicker',
  'Select',
  'Slider',
  'Image',
  'Icon',
  'Video',
  'AudioPlayer',
  'DateTimeInput',
  'Chart',
  'File',
  'FilePicker',
  'Spacer',
  'Badge',
  'Tabs',
  'Modal',
] as const;
export type A2uiComponentName = (typeof A2UI_COMPONENTS)[number];

/**
 * Ids under which the basic catalog is accepted: the published URL, the earlier draft URL,
 * the `standard_catalog.json` name older v0.9 drafts and samples use (on a2ui.org and
 * a2ui.dev), and the alias `basic`.
 */
export const A2UI_CATALOG_IDS = [
  'https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json',
  'https://a2ui.org/specification/v0_9/basic_catalog.json',
  'https://a2ui.org/specification/v0_9/standard_catalog.json',
  'https://a2ui.dev/specification/v0_9/standard_catalog.json',
  'basic',
] as const;

export const a2uiLimits = z
  .object({
    maxSurfaces: z.number().int(),
    maxComponentsPerSurface: z.number().int(),
    maxEnvelopeBytes: z.number().int().describe('one envelope, serialised'),
    maxDataModelBytes: z.number().int(),
    maxSurfaceBytes: z
      .number()
      .int()
      .describe('the whole surface record serialised, so one surface (and each event carrying it) stays well under the 16 MiB a reader may fall behind'),
    maxStringBytes: z.number().int().describe('per string value'),
    maxDepth: z.number().int().describe('levels of JSON nesting'),
    surfaceTtlSeconds: z.number().int().describe('measured from the last successful update'),
    maxIngestEnvelopes: z.number().int().describe('per a2ui.ingest call'),
  })
  .meta({ id: 'A2uiLimits' });
export type A2uiLimits = z.output<typeof a2uiLimits>;

// ---------------------------------------------------------------------------
// Envelopes (A2UI v0.9, docs/protocol.md#a2ui-apply). Component properties the store does not interpret are kept.

const NO_CONTROL_CHARS = /^[^\x00-\x1f\x7f]+$/;
const identifier = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(256, `${what} must be at most 256 characters`)
    .regex(NO_CONTROL_CHARS, `${what} must not contain control characters`);

const surfaceId = identifier('surfaceId');
const componentId = identifier('component id');
const jsonObject = z.record(z.string(), z.unknown());

const childList = z.union([z.array(componentId), jsonObject], {
  error: 'children must be an array of component ids or a template object { componentId, path }',
});

/** A catalog component; `component: null` (with nothing but `id`) is a tombstone that removes it. */
export const a2uiComponentSchema = z
  .looseObject({
    id: componentId,
    component: z.enum(A2UI_COMPONENTS).nullable(),
    child: componentId.optional(),
    children: childList.optional(),
  })
  .superRefine((component, ctx) => {
    if (component.component === null && Object.keys(component).length > 2) {
      ctx.addIssue({ code: 'custom', path: ['component'], message: 'a tombstone (component: null) carries only id; drop its other properties' });
    }
  });

const createSurfaceBody = z.strictObject({
  surfaceId,
  catalogId: z.enum(A2UI_CATALOG_IDS),
  theme: jsonObject.optional(),
  sendDataModel: z.boolean().optional(),
});
const updateComponentsBody = z.strictObject({
  surfaceId,
  components: z.array(a2uiComponentSchema).min(1, 'components must list at least one component'),
});
const updateDataModelBody = z.strictObject({
  surfaceId,
  path: z.string().optional(),
  value: z.unknown().optional(),
});
const deleteSurfaceBody = z.strictObject({ surfaceId });

export const A2UI_ENVELOPE_KINDS = ['createSurface', 'updateComponents', 'updateDataModel', 'deleteSurface'] as const;
export type A2uiEnvelopeKind = (typeof A2UI_ENVELOPE_KINDS)[number];

/**
 * One server-to-client message. `version` may be left out (earlier v0.9 drafts had none);
 * when present it must be `v0.9`.
 */
export const a2uiEnvelopeSchema = z
  .strictObject({
    version: z.literal(A2UI_VERSION, { error: `version must be "${A2UI_VERSION}"; this daemon speaks A2UI ${A2UI_VERSION}` }).optional(),
    createSurface: createSurfaceBody.optional(),
    updateComponents: updateComponentsBody.optional(),
    updateDataModel: updateDataModelBody.optional(),
    deleteSurface: deleteSurfaceBody.optional(),
  })
  .superRefine((envelope, ctx) => {
    const kinds = A2UI_ENVELOPE_KINDS.filter((kind) => envelope[kind] !== undefined);
    if (kinds.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `an envelope carries exactly one of ${A2UI_ENVELOPE_KINDS.join(', ')} (found ${kinds.length ? kinds.join(', ') : 'none'})`,
      });
    }
  });
export type A2uiEnvelope = z.output<typeof a2uiEnvelopeSchema>;

/** A stored component: its catalog type, its children by id, and every other property as the agent sent it. */
export const a2uiComponent = z.looseObject({
  id: z.string(),
  component: z.enum(A2UI_COMPONENTS),
  child: z.string().optional(),
  children: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
});
export type A2uiComponent = z.output<typeof a2uiComponent>;

// ---------------------------------------------------------------------------
// Records (docs/protocol.md#type-a2uisurface)

export const a2uiSurfaceOwner = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('session'), sessionId: z.string() }),
    z.object({ kind: z.literal('a2a'), taskId: z.string().nullable(), contextId: z.string().nullable(), endpoint: z.string().nullable() }),
  ])
  .describe('visible to everyone; route credentials never appear here')
  .meta({ id: 'A2uiSurfaceOwner' });
export type A2uiSurfaceOwner = z.output<typeof a2uiSurfaceOwner>;

export const a2uiSurface = z
  .object({
    surfaceId: z.string(),
    catalogId: z.string(),
    theme: z.record(z.string(), z.unknown()).nullable(),
    sendDataModel: z.boolean(),
    components: z.record(z.string(), a2uiComponent).describe('by component id'),
    dataModel: z.record(z.string(), z.unknown()),
    owner: a2uiSurfaceOwner,
    revision: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
    expiresAt: z.string(),
  })
  .meta({ id: 'A2uiSurface' });
export type A2uiSurface = z.output<typeof a2uiSurface>;

export const a2uiApplyResult = z
  .object({
    surfaceId: z.string(),
    deleted: z.boolean(),
    surface: a2uiSurface.optional().describe('the surface after the change; absent when deleted'),
  })
  .meta({ id: 'A2uiApplyResult' });
export type A2uiApplyResult = z.output<typeof a2uiApplyResult>;

export const a2uiCapabilities = z.object({
  version: z.literal(A2UI_VERSION),
  mimeType: z.string(),
  catalogs: z.array(z.string()).describe('the accepted catalogId values'),
  components: z.array(z.string()),
  limits: a2uiLimits,
});
export type A2uiCapabilities = z.output<typeof a2uiCapabilities>;

/** The user action as recorded, broadcast and forwarded to an A2A peer. */
export const a2uiAction = z.object({
  name: z.string(),
  surfaceId: z.string(),
  sourceComponentId: z.string().nullable(),
  timestamp: z.string(),
  context: z.record(z.string(), z.unknown()),
});
export type A2uiAction = z.output<typeof a2uiAction>;

export const a2uiRoute = z
  .union([
    z.object({ kind: z.literal('none'), subscribers: z.number().int().describe('a2ui subscribers notified') }),
    z.object({
      kind: z.literal('a2a'),
      endpoint: z.string(),
      status: z.literal('sent'),
      http_status: z.number().int(),
      response: z.unknown().describe("the peer's JSON reply"),
    }),
    z.object({ kind: z.literal('a2a'), endpoint: z.string(), status: z.literal('failed'), error: z.string() }),
  ])
  .describe('where the action went: an A2A continuation, or only the subscribers');
export type A2uiRoute = z.output<typeof a2uiRoute>;

export const a2uiEventParams = z.union([
  z.object({ kind: z.enum(['a2ui.surface_updated', 'a2ui.surface_deleted']), result: a2uiApplyResult }),
  z.object({ kind: z.literal('a2ui.action'), result: z.object({ surfaceId: z.string(), action: a2uiAction, owner: a2uiSurfaceOwner }) }),
]);
export type A2uiEventParams = z.output<typeof a2uiEventParams>;

/** The ids under which every direct child component is referenced (`child`, `children`, tab children, modal parts). */
export function childComponentIds(component: A2uiComponent): string[] {
  const ids: string[] = [];
  const add = (value: unknown) => {
    if (typeof value === 'string') ids.push(value);
  };
  add(component.child);
  if (Array.isArray(component.children)) component.children.forEach(add);
  else if (component.children) add(component.children.componentId);
  if (Array.isArray(component.tabs)) for (const tab of component.tabs as { child?: unknown }[]) add(tab?.child);
  add(component.trigger);
  add(component.content);
  return ids;
}

// ---------------------------------------------------------------------------
// Params (docs/protocol.md#namespace-a2ui)

const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const RESERVED_HEADERS = new Set(['host', 'content-length', 'transfer-encoding', 'connection']);
/** Visible ASCII, spaces, tabs and non-ASCII; no CR, LF or other control characters. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\uffff]+$/;

const secret = (what: string) =>
  z
    .string({ error: `${what} must be a string` })
    .min(1, `${what} must not be empty`)
    .max(8192, `${what} must be at most 8192 characters`)
    .regex(HEADER_VALUE, `${what} must not contain CR, LF or other control characters`);

/** A2A credentials for continuing a task (docs/protocol.md#a2ui-ingest); kept server-side only. */
export const a2aRouteAuthSchema = z.discriminatedUnion(
  'type',
  [
    z.strictObject({ type: z.literal('none') }),
    z.strictObject({ type: z.literal('bearer'), token: secret('routeAuth.token') }),
    z.strictObject({
      type: z.literal('header'),
      name: z
        .string()
        .max(256, 'routeAuth.name must be at most 256 characters')
        .regex(HTTP_TOKEN, "routeAuth.name must be an HTTP header name (letters, digits and !#$%&'*+-.^_`|~; no spaces, CR or LF)")
        .refine(
          (name) => !RESERVED_HEADERS.has(name.toLowerCase()),
          'routeAuth.name cannot be Host, Content-Length, Transfer-Encoding or Connection; use a header such as X-Api-Key',
        ),
      value: secret('routeAuth.value'),
    }),
  ],
  { error: "routeAuth.type must be 'none', 'bearer' or 'header'" },
);
export type A2aRouteAuth = z.output<typeof a2aRouteAuthSchema>;

/** Whether an A2A endpoint URL points at this machine (`127.0.0.0/8`, `::1`, `localhost`). */
export function isLoopbackEndpoint(endpoint: string): boolean {
  return isLoopbackHost(new URL(endpoint).hostname.replace(/^\[(.*)\]$/, '$1'));
}

const endpointUrl = z
  .string()
  .max(2048, 'endpoint must be at most 2048 characters')
  .refine((value) => URL.canParse(value) && ['http:', 'https:'].includes(new URL(value).protocol), 'endpoint must be an http:// or https:// URL')
  .refine(
    (value) => !URL.canParse(value) || (new URL(value).username === '' && new URL(value).password === ''),
    'endpoint must not embed credentials; pass them as routeAuth',
  );

/** `a2ui.get` / `a2ui/replay`: `{ surfaceId }` or `{ surface_id }`. */
export const a2uiSurfaceRefParams = z
  .strictObject({ surface_id: surfaceId.optional(), surfaceId: surfaceId.optional() })
  .refine((p) => (p.surfaceId ?? p.surface_id) !== undefined, { message: 'pass surfaceId (or surface_id)', path: ['surfaceId'] })
  .refine((p) => p.surfaceId === undefined || p.surface_id === undefined || p.surfaceId === p.surface_id, {
    message: 'surfaceId and surface_id name different surfaces; pass one of them',
    path: ['surface_id'],
  });

export const isPlainObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** `a2ui.apply`: one envelope, or `{ envelope }`; the envelope itself is checked by the store (catalog and limit errors). */
export const a2uiApplyParams = z.preprocess(
  (params) => (isPlainObject(params) && Object.keys(params).length === 1 && 'envelope' in params ? params : { envelope: params }),
  z.strictObject({
    envelope: z
      .record(z.string(), z.unknown(), { error: 'envelope must be an object' })
      .describe('an A2UI v0.9 envelope; the envelope itself may be sent as the params'),
  }),
);

const INGEST_KEYS = ['payload', 'owner', 'endpoint', 'routeAuth', 'allowUntrustedEndpoint'];

/** `a2ui.ingest`: `{ payload, owner?, endpoint?, routeAuth?, allowUntrustedEndpoint? }`, or a raw A2A value as the params. */
export const a2uiIngestParams = z.preprocess(
  (params) => (isPlainObject(params) && INGEST_KEYS.some((key) => key in params) ? params : { payload: params }),
  z
    .strictObject({
      payload: z.unknown().refine((value) => value !== undefined, 'payload is required: the A2A message, task, artifact or any JSON holding envelopes'),
      owner: z
        .strictObject({
          kind: z.literal('a2a').optional(),
          taskId: identifier('owner.taskId').nullable().optional(),
          contextId: identifier('owner.contextId').nullable().optional(),
        })
        .optional(),
      endpoint: endpointUrl.optional(),
      routeAuth: a2aRouteAuthSchema.optional(),
      allowUntrustedEndpoint: z.boolean().optional(),
    })
    .superRefine((params, ctx) => {
      if (params.endpoint !== undefined && URL.canParse(params.endpoint) && params.allowUntrustedEndpoint !== true && !isLoopbackEndpoint(params.endpoint)) {
        ctx.addIssue({
          code: 'custom',
          path: ['endpoint'],
          message: `endpoint '${params.endpoint}' is not loopback; pass allowUntrustedEndpoint: true to allow it`,
        });
      }
      if (params.routeAuth !== undefined && params.routeAuth.type !== 'none' && params.endpoint === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['routeAuth'],
          message: 'routeAuth is only used to continue an A2A task; pass the endpoint it belongs to as well',
        });
      }
    }),
);
export type A2uiIngestParams = z.output<typeof a2uiIngestParams>;

export const a2uiActionParams = z
  .strictObject({
    name: identifier('name').optional(),
    action: identifier('action').optional(),
    surfaceId,
    sourceComponentId: componentId.optional(),
    timestamp: z.string().max(64, 'timestamp must be at most 64 characters').optional(),
    context: z.record(z.string(), z.unknown(), { error: 'context must be an object' }).optional(),
  })
  .refine((p) => (p.name ?? p.action) !== undefined, { message: 'pass the action name as name (or action)', path: ['name'] })
  .refine((p) => p.name === undefined || p.action === undefined || p.name === p.action, {
    message: 'name and action differ; pass one of them',
    path: ['action'],
  });
export type A2uiActionParams = z.output<typeof a2uiActionParams>;

export const a2uiEmptyParams = z.strictObject({});

export const a2uiContract = defineMethods({
  'a2ui.capabilities': { params: a2uiEmptyParams, result: a2uiCapabilities, summary: 'The A2UI version, catalogs, components and limits this daemon accepts.' },
  'a2ui.apply': {
    params: a2uiApplyParams,
    result: a2uiApplyResult,
    clientParams: accepts<Record<string, unknown>>(),
    summary: 'Applies one A2UI v0.9 envelope (or { envelope }) and broadcasts the change.',
  },
  'a2ui.ingest': {
    params: a2uiIngestParams,
    result: z.object({ applied: z.array(a2uiApplyResult) }),
    clientParams: accepts<Record<string, unknown>>(),
    summary: 'Applies every envelope found in an A2A message, task or artifact, all or nothing; a non-loopback endpoint needs an approval.',
  },
  'a2ui.reap': {
    params: a2uiEmptyParams,
    result: z.object({ removed: z.array(z.string()) }),
    summary: 'Deletes expired surfaces and their route credentials now.',
  },
  'a2ui.surfaces': { params: a2uiEmptyParams, result: z.array(a2uiSurface), summary: 'The live surfaces.' },
  'a2ui.get': { params: a2uiSurfaceRefParams, result: a2uiSurface.nullable(), summary: 'One live surface, or null.' },
  'a2ui.action': {
    params: a2uiActionParams,
    result: z.object({ event: hostEvent, route: a2uiRoute }),
    summary: "Records a user's action on a surface and routes it to subscribers and, for an A2A owner, back to the agent.",
  },
  'a2ui/subscribe': {
    params: a2uiEmptyParams,
    result: z.object({ subscribed: z.literal(true) }),
    summary: 'This connection receives a2ui.event until it disconnects.',
  },
  'a2ui/unsubscribe': {
    params: a2uiEmptyParams,
    result: z.object({ subscribed: z.literal(false) }),
    summary: 'Stops a2ui.event for this connection; idempotent.',
  },
  'a2ui/replay': { params: a2uiSurfaceRefParams, result: a2uiSurface.nullable(), summary: 'Same as a2ui.get, for late joiners after subscribing.' },
});

export const a2uiNotifications = defineNotifications({
  'a2ui.event': a2uiEventParams,
});
