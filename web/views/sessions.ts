import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { SessionInfo } from '../../src/protocol/core.js';
import { errorText, timeOf, type App, type View } from '../app.js';

/** Every connection of the daemon, re-read while the view is shown; the page's own is marked. */
export class SessionsView implements View {
  readonly id = 'sessions';
  readonly label = 'Sessions';
  private sessions: SessionInfo[] = [];
  private error: string | null = null;

  constructor(private readonly app: App) {}

  start(): void {}

  async refresh(): Promise<void> {
    try {
      this.sessions = (await this.app.connection.call('sessions.list', {})).sessions;
      this.error = null;
    } catch (error) {
      this.error = errorText(error);
    }
    this.app.render();
  }

  render() {
    return html`
      <p class="lead">${this.sessions.length} connected. The daemon keeps one session per WebSocket connection.</p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <ul class="cards" aria-label="sessions">
        ${repeat(
          this.sessions,
          (session) => session.id,
          (session) => html`
            <li class="card ${session.is_self ? 'self' : ''}" data-session=${session.id} aria-current=${session.is_self ? 'true' : nothing}>
              <div class="card-title">
                <code>${session.id}</code>
                ${session.is_self ? html`<span class="badge accent">this page</span>` : nothing}
                <span class="badge">${session.role ?? 'unauthenticated'}</span>
              </div>
              <dl class="facts">
                <div>
                  <dt>Client</dt>
                  <dd>${session.client_version ?? '–'}</dd>
                </div>
                <div>
                  <dt>Remote</dt>
                  <dd>${session.remote}</dd>
                </div>
                <div>
                  <dt>Connected</dt>
                  <dd>${timeOf(session.connected_at)}</dd>
                </div>
                <div>
                  <dt>Subscriptions</dt>
                  <dd>${session.subscriptions.join(', ') || 'none'}</dd>
                </div>
                <div>
                  <dt>Memory</dt>
                  <dd>${session.memory.namespace ?? session.memory.scope}</dd>
                </div>
                <div>
                  <dt>Requests</dt>
                  <dd>${session.requests_total} (${session.inflight} in flight)</dd>
                </div>
              </dl>
            </li>
          `,
        )}
      </ul>
    `;
  }
}
