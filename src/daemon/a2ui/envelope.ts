import type { z } from 'zod';
import { A2UI_CATALOG_IDS, A2UI_COMPONENTS, a2uiEnvelopeSchema, type A2uiComponent, type A2uiLimits } from '../../protocol/a2ui.js';
import { invalidParams, type RpcError } from '../../protocol/errors.js';
import { checkJsonLimits } from './limits.js';

/** `component: null` removes the component with that id. */
export type ComponentUpdate = A2uiComponent | { id: string; component: null };

/** A validated envelope, narrowed to the one message it carries; `raw` is what the sender sent (journaled as is). */
export type ParsedEnvelope = { raw: Record<string, unknown> } & (
  | { kind: 'createSurface'; surfaceId: string; catalogId: string; theme: Record<string, unknown> | null; sendDataModel: boolean }
  | { kind: 'updateComponents'; surfaceId: string; components: ComponentUpdate[] }
  | { kind: 'updateDataModel'; surfaceId: string; path: string | undefined; value: unknown }
  | { kind: 'deleteSurface'; surfaceId: string }
);

/**
 * Validates one envelope before anything is applied: the limits (docs/protocol.md#type-a2uilimits) first (so a deep
 * or huge value is refused before it is walked further), then the v0.9 shape and the
 * basic catalog. Catalog problems surface as `UnsupportedCatalog` / `UnsupportedComponent`.
 */
export function parseEnvelope(raw: Record<string, unknown>, limits: A2uiLimits): ParsedEnvelope {
  checkJsonLimits(raw, limits, 'the envelope');
  const parsed = a2uiEnvelopeSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success) throw envelopeError(parsed.error);
  const envelope = parsed.data;
  if (envelope.createSurface) {
    const { surfaceId, catalogId, theme, sendDataModel } = envelope.createSurface;
    return { raw, kind: 'createSurface', surfaceId, catalogId, theme: theme ?? null, sendDataModel: sendDataModel ?? false };
  }
  if (envelope.updateComponents) {
    const { surfaceId, components } = envelope.updateComponents;
    return { raw, kind: 'updateComponents', surfaceId, components: components as ComponentUpdate[] };
  }
  if (envelope.updateDataModel) {
    const { surfaceId, path, value } = envelope.updateDataModel;
    return { raw, kind: 'updateDataModel', surfaceId, path, value };
  }
  return { raw, kind: 'deleteSurface', surfaceId: envelope.deleteSurface!.surfaceId };
}

function envelopeError(error: z.ZodError): RpcError {
  const issue = error.issues[0]!;
  const field = issue.path.map(String).join('.');
  const input = (issue as { input?: unknown }).input;
  if (issue.code === 'invalid_value' && typeof input === 'string') {
    if (field === 'createSurface.catalogId') {
      return invalidParams(`catalogId '${clip(input)}' is not supported; use the basic catalog (${A2UI_CATALOG_IDS[0]} or "basic")`, {
        kind: 'UnsupportedCatalog',
        field,
        allowed: A2UI_CATALOG_IDS,
      });
    }
    if (/^updateComponents\.components\.\d+\.component$/.test(field)) {
      return invalidParams(`component type '${clip(input)}' at ${field} is not in the basic catalog; use one of ${A2UI_COMPONENTS.join(', ')}`, {
        kind: 'UnsupportedComponent',
        field,
        allowed: A2UI_COMPONENTS,
      });
    }
  }
  if (issue.code === 'invalid_value' && input === undefined && field.endsWith('.component')) {
    return invalidParams(`${field} is missing; give a basic catalog type such as Text, or null to remove the component`, { field });
  }
  if (issue.code === 'unrecognized_keys') {
    const where = field ? ` in ${field}` : '';
    return invalidParams(
      `unknown key${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `'${clip(k)}'`).join(', ')}${where} of the A2UI envelope; see the v0.9 message schema`,
      {
        field: field || issue.keys[0],
      },
    );
  }
  const message = issue.message.replace(/^Invalid input: /, '');
  return invalidParams(`invalid A2UI envelope${field ? ` at ${field}` : ''}: ${message}`, field ? { field } : undefined);
}

function clip(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}
