import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { basicCatalog } from '@a2ui/lit/v0_9';
import { MessageProcessor, type A2uiMessage, type SurfaceModel } from '@a2ui/web_core/v0_9';
import type { A2uiSurface } from '../../src/protocol/a2ui.js';
import { errorText, timeOf, type App, type View } from '../app.js';

type Model = SurfaceModel<any>;

interface Drawn {
  record: A2uiSurface;
  model: Model | null;
  error: string | null;
}

interface SentAction {
  surfaceId: string;
  name: string;
  outcome: string;
}

/**
 * Every live surface, drawn by Google's Lit renderer from the daemon's records. The
 * records are the truth: each update is replayed into the renderer's MessageProcessor as
 * the A2UI messages that produce it (a re-created surface is deleted and created again),
 * and the processor's actions go back as `a2ui.action` exactly as the renderer emits them.
 */
export class SurfacesView implements View {
  readonly id = 'surfaces';
  readonly label = 'Surfaces';
  private readonly drawn = new Map<string, Drawn>();
  private readonly processor = new MessageProcessor([basicCatalog], (action) => this.send(action));
  private lastAction: SentAction | null = null;
  private error: string | null = null;

  constructor(private readonly app: App) {}

  async start(): Promise<void> {
    const { connection } = this.app;
    connection.on('a2ui.event', (event) => {
      if (event.kind === 'a2ui.surface_updated' && event.result.surface) this.apply(event.result.surface);
      if (event.kind === 'a2ui.surface_deleted') this.remove(event.result.surfaceId);
    });
    // Subscribed first, then listed: an update racing the listing arrives twice and is applied once (by revision).
    await connection.call('a2ui/subscribe', {});
    for (const surface of await connection.call('a2ui.surfaces', {})) this.apply(surface);
  }

  render() {
    const surfaces = [...this.drawn.values()].sort((a, b) => a.record.surfaceId.localeCompare(b.record.surfaceId));
    return html`
      <p class="lead">
        ${surfaces.length} live surface${surfaces.length === 1 ? '' : 's'}. Agents put them here with <code>a2ui.apply</code>; your clicks and input go back as
        <code>a2ui.action</code>.
      </p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.lastAction
          ? html`<p class="muted" role="status">
              Sent action <strong>${this.lastAction.name}</strong> from ${this.lastAction.surfaceId}: ${this.lastAction.outcome}
            </p>`
          : nothing
      }
      <div class="surfaces">
        ${repeat(
          surfaces,
          (entry) => entry.record.surfaceId,
          (entry) => html`
            <article class="card surface" data-surface=${entry.record.surfaceId} aria-label="surface ${entry.record.surfaceId}">
              <div class="card-title">
                <code>${entry.record.surfaceId}</code>
                <span class="badge">revision ${entry.record.revision}</span>
                <span class="muted">updated ${timeOf(entry.record.updatedAt)}</span>
              </div>
              ${entry.error ? html`<p class="error">This surface cannot be drawn: ${entry.error}</p>` : nothing}
              ${entry.model ? html`<a2ui-surface .surface=${entry.model}></a2ui-surface>` : nothing}
            </article>
          `,
        )}
      </div>
    `;
  }

  private apply(record: A2uiSurface): void {
    const known = this.drawn.get(record.surfaceId);
    if (known && known.record.createdAt === record.createdAt && known.record.revision >= record.revision) return;
    const surfaceId = record.surfaceId;
    const messages: A2uiMessage[] = [];
    if (known?.model && known.record.createdAt !== record.createdAt) messages.push({ version: 'v0.9', deleteSurface: { surfaceId } });
    if (!known?.model || known.record.createdAt !== record.createdAt) {
      // The daemon accepts 'basic' and both published URLs for the one basic catalog (docs/protocol.md#a2ui-capabilities); the renderer knows it by its URL.
      messages.push({
        version: 'v0.9',
        createSurface: { surfaceId, catalogId: basicCatalog.id, theme: record.theme ?? undefined, sendDataModel: record.sendDataModel },
      } as A2uiMessage);
    }
    messages.push({ version: 'v0.9', updateDataModel: { surfaceId, path: '/', value: record.dataModel } } as A2uiMessage);
    messages.push({ version: 'v0.9', updateComponents: { surfaceId, components: Object.values(record.components) } } as A2uiMessage);
    const entry: Drawn = { record, model: known?.model ?? null, error: null };
    try {
      this.processor.processMessages(messages);
      entry.model = this.processor.model.getSurface(surfaceId) ?? null;
    } catch (error) {
      entry.error = errorText(error);
    }
    this.drawn.set(surfaceId, entry);
    this.app.render();
  }

  private remove(surfaceId: string): void {
    if (this.drawn.get(surfaceId)?.model) this.processor.processMessages([{ version: 'v0.9', deleteSurface: { surfaceId } }]);
    this.drawn.delete(surfaceId);
    this.app.render();
  }

  private async send(action: {
    name: string;
    surfaceId: string;
    sourceComponentId: string;
    timestamp: string;
    context: Record<string, unknown>;
  }): Promise<void> {
    try {
      const { route } = await this.app.connection.call('a2ui.action', action);
      const outcome =
        route.kind === 'none'
          ? `delivered to ${route.subscribers} subscriber${route.subscribers === 1 ? '' : 's'}`
          : `sent to ${route.endpoint} (${route.status})`;
      this.lastAction = { surfaceId: action.surfaceId, name: action.name, outcome };
      this.error = null;
    } catch (error) {
      this.error = `The action '${action.name}' was not delivered: ${errorText(error)}`;
    }
    this.app.render();
  }
}
