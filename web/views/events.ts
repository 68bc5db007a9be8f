import { html } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { timeOf, type App, type View } from '../app.js';
import type { HostFeed } from '../host-feed.js';

const ALL = '';

/** The live `host.event` stream, newest first, with a kind filter. */
export class EventsView implements View {
  readonly id = 'events';
  readonly label = 'Host events';
  private kind = ALL;

  constructor(
    private readonly app: App,
    private readonly feed: HostFeed,
  ) {}

  start(): void {}

  render() {
    const kinds = [...new Set(this.feed.events.map((event) => event.kind))].sort();
    const shown = this.feed.events.filter((event) => this.kind === ALL || event.kind === this.kind).reverse();
    return html`
      <div class="toolbar">
        <label for="event-kind">Kind</label>
        <select id="event-kind" .value=${this.kind} @change=${(event: Event) => this.choose((event.target as HTMLSelectElement).value)}>
          <option value=${ALL}>all kinds</option>
          ${kinds.map((kind) => html`<option value=${kind} ?selected=${kind === this.kind}>${kind}</option>`)}
        </select>
        <span class="muted" aria-live="polite">${shown.length} of ${this.feed.events.length} events</span>
      </div>
      <ol class="events" aria-label="host events, newest first">
        ${repeat(
          shown,
          (event) => event.id,
          (event) => html`
            <li data-kind=${event.kind}>
              <span class="time">${timeOf(event.timestamp)}</span>
              <span class="badge">${event.kind}</span>
              ${event.agent_id ? html`<code>${event.agent_id}</code>` : ''}
              <span class="message">${event.message ?? ''}</span>
              ${
                event.payload !== null && event.payload !== undefined
                  ? html`<details>
                      <summary>payload</summary>
                      <pre class="json">${JSON.stringify(event.payload, null, 2)}</pre>
                    </details>`
                  : ''
              }
            </li>
          `,
        )}
      </ol>
    `;
  }

  private choose(kind: string): void {
    this.kind = kind;
    this.app.render();
  }
}
