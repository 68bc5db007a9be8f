import { html, nothing } from 'lit';
import type { MemoryHit } from '../../src/protocol/memory.js';
import { errorText, type App, type View } from '../app.js';

/** A query box over the memory namespace the page is bound to ('default', as the CLI's). */
export class MemoryView implements View {
  readonly id = 'memory';
  readonly label = 'Memory';
  private query = '';
  private hits: MemoryHit[] | null = null;
  private error: string | null = null;
  private busy = false;

  constructor(private readonly app: App) {}

  start(): void {}

  render() {
    return html`
      <form class="toolbar" @submit=${(event: Event) => this.search(event)}>
        <label for="memory-query">Query</label>
        <input
          id="memory-query"
          type="search"
          maxlength="4096"
          required
          .value=${this.query}
          @input=${(event: Event) => (this.query = (event.target as HTMLInputElement).value)}
        />
        <button class="primary" type="submit" ?disabled=${this.busy}>Search</button>
      </form>
      <p class="muted">Searches namespace <code>default</code>, where <code>car memory add</code> stores facts.</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      ${
        this.hits === null
          ? nothing
          : html`
              <p role="status">${this.hits.length} fact${this.hits.length === 1 ? '' : 's'} found.</p>
              <ol class="cards" aria-label="memory results">
                ${this.hits.map(
                  (hit) => html`
                    <li class="card">
                      <div class="card-title">
                        <strong>${hit.subject}</strong><span class="badge">${hit.kind}</span><span class="muted">score ${hit.score.toFixed(2)}</span>
                      </div>
                      <p class="body">${hit.body}</p>
                    </li>
                  `,
                )}
              </ol>
            `
      }
    `;
  }

  private async search(event: Event): Promise<void> {
    event.preventDefault();
    this.busy = true;
    this.app.render();
    try {
      this.hits = await this.app.connection.call('memory.query', { query: this.query, k: 10 });
      this.error = null;
    } catch (error) {
      this.error = errorText(error);
    } finally {
      this.busy = false;
      this.app.render();
    }
  }
}
