import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import type { HostApproval } from '../../src/protocol/host.js';
import { errorText, timeOf, type App, type View } from '../app.js';
import type { HostFeed } from '../host-feed.js';

/** Pending approvals first, with approve / deny and notes; resolved ones below, expired ones greyed. */
export class ApprovalsView implements View {
  readonly id = 'approvals';
  readonly label = 'Approvals';
  private readonly notes = new Map<string, string>();
  private readonly errors = new Map<string, string>();
  private readonly busy = new Set<string>();

  constructor(
    private readonly app: App,
    private readonly feed: HostFeed,
  ) {}

  start(): void {}

  get pendingCount(): number {
    return [...this.feed.approvals.values()].filter((approval) => approval.status === 'pending').length;
  }

  render() {
    const all = [...this.feed.approvals.values()].sort((a, b) => b.created_at.localeCompare(a.created_at));
    const pending = all.filter((approval) => approval.status === 'pending');
    const done = all.filter((approval) => approval.status !== 'pending');
    return html`
      <p class="lead">
        ${pending.length} pending.
        ${this.app.role === 'client' ? html`This page has client rights: it can resolve system approvals and its own; for others, open it with <code>car ui --host</code>.` : nothing}
      </p>
      <ul class="cards" aria-label="pending approvals">
        ${repeat(
          pending,
          (approval) => approval.id,
          (approval) => this.pendingCard(approval),
        )}
      </ul>
      ${
        done.length
          ? html`<h3>Resolved</h3>
              <ul class="cards" aria-label="resolved approvals">
                ${repeat(
                  done,
                  (approval) => approval.id,
                  (approval) => this.resolvedCard(approval),
                )}
              </ul>`
          : nothing
      }
    `;
  }

  private pendingCard(approval: HostApproval) {
    const notesId = `notes-${approval.id}`;
    const error = this.errors.get(approval.id);
    return html`
      <li class="card" data-approval=${approval.id}>
        <div class="card-title"><strong>${approval.action}</strong><span class="badge warn">pending</span></div>
        ${approval.description ? html`<p>${approval.description}</p>` : nothing}
        <dl class="facts">
          <div>
            <dt>Id</dt>
            <dd><code>${approval.id}</code></dd>
          </div>
          <div>
            <dt>Raised</dt>
            <dd>${timeOf(approval.created_at)} by ${approval.client_id ?? 'the method gate'}</dd>
          </div>
          <div>
            <dt>Votes</dt>
            <dd>${approval.approvals} of ${approval.required_approvals}</dd>
          </div>
        </dl>
        ${Object.keys(approval.details).length ? html`<pre class="json">${JSON.stringify(approval.details, null, 2)}</pre>` : nothing}
        <label for=${notesId}>Notes (optional)</label>
        <input
          id=${notesId}
          type="text"
          maxlength="4096"
          .value=${this.notes.get(approval.id) ?? ''}
          @input=${(event: Event) => this.notes.set(approval.id, (event.target as HTMLInputElement).value)}
        />
        <div class="actions">
          <button class="primary" ?disabled=${this.busy.has(approval.id)} @click=${() => this.resolve(approval, true)}>Approve</button>
          <button class="danger" ?disabled=${this.busy.has(approval.id)} @click=${() => this.resolve(approval, false)}>Deny</button>
        </div>
        ${error ? html`<p class="error" role="alert">${error}</p>` : nothing}
      </li>
    `;
  }

  private resolvedCard(approval: HostApproval) {
    const greyed = approval.status === 'expired' || approval.status === 'cancelled';
    return html`
      <li class="card ${greyed ? 'greyed' : ''}" data-approval=${approval.id} aria-disabled=${greyed ? 'true' : nothing}>
        <div class="card-title"><strong>${approval.action}</strong><span class="badge ${approval.status}">${approval.status}</span></div>
        <dl class="facts">
          <div>
            <dt>Id</dt>
            <dd><code>${approval.id}</code></dd>
          </div>
          <div>
            <dt>Resolved</dt>
            <dd>${timeOf(approval.resolved_at)}${approval.resolution ? ` by ${approval.resolution.by_session}` : ''}</dd>
          </div>
          ${
            approval.resolution?.notes
              ? html`<div>
                  <dt>Notes</dt>
                  <dd>${approval.resolution.notes}</dd>
                </div>`
              : nothing
          }
        </dl>
      </li>
    `;
  }

  private async resolve(approval: HostApproval, approved: boolean): Promise<void> {
    this.busy.add(approval.id);
    this.errors.delete(approval.id);
    this.app.render();
    try {
      const notes = this.notes.get(approval.id)?.trim();
      const resolved = await this.app.connection.call('host.resolve_approval', { approval_id: approval.id, approved, ...(notes ? { notes } : {}) });
      this.feed.approvals.set(resolved.id, resolved);
    } catch (error) {
      this.errors.set(approval.id, errorText(error));
    } finally {
      this.busy.delete(approval.id);
      this.app.render();
    }
  }
}
