import { html, nothing, render } from 'lit';
import '@a2ui/lit/v0_9';
import type { Connection } from '../src/client/browser.js';
import { errorText, type App, type View, type ViewId } from './app.js';
import { HostFeed } from './host-feed.js';
import { connect, ensureBrowserSession, signOut, takeLoginCode, type SignedIn } from './sign-in.js';
import { ApprovalsView } from './views/approvals.js';
import { EventsView } from './views/events.js';
import { InferenceView } from './views/inference.js';
import { MeetingsView } from './views/meetings.js';
import { MemoryView } from './views/memory.js';
import { SessionsView } from './views/sessions.js';
import { SurfacesView } from './views/surfaces.js';

const REFRESH_MS = 2000;
const root = document.getElementById('app')!;
root.replaceChildren();

/** The page: signed in by its session cookie, it shows one view at a time. */
class Page implements App {
  readonly connection: Connection;
  readonly role: string;
  private readonly expiresAt: string | null;
  private readonly views: View[];
  private readonly approvals: ApprovalsView;
  private active: ViewId = 'sessions';
  private closed: string | null = null;
  private signingOut = false;
  private drawQueued = false;

  constructor({ connection, role, expiresAt }: SignedIn) {
    this.connection = connection;
    this.role = role;
    this.expiresAt = expiresAt;
    const feed = new HostFeed(this);
    this.approvals = new ApprovalsView(this, feed);
    this.views = [
      new SessionsView(this),
      new MeetingsView(this),
      this.approvals,
      new EventsView(this, feed),
      new SurfacesView(this),
      new MemoryView(this),
      new InferenceView(this),
    ];
    const refresher = setInterval(() => void this.current.refresh?.(), REFRESH_MS);
    connection.onClose((code, reason) => {
      clearInterval(refresher);
      if (this.signingOut) return;
      this.closed = `The connection to the daemon closed (${code}${reason ? `: ${reason}` : ''}). Reload the page to reconnect; if the daemon restarted, run \`car ui\` for a new sign-in link.`;
      this.render();
    });
    void Promise.all([feed.start(), ...this.views.map((view) => view.start())]).catch((error) => this.fail(error));
    this.show(viewFromHash() ?? 'sessions', false);
    window.addEventListener('hashchange', () => this.show(viewFromHash() ?? this.active, false));
  }

  render(): void {
    if (this.drawQueued) return;
    this.drawQueued = true;
    requestAnimationFrame(() => {
      this.drawQueued = false;
      render(this.template(), root);
    });
  }

  private get current(): View {
    return this.views.find((view) => view.id === this.active)!;
  }

  private show(id: ViewId, focus: boolean): void {
    this.active = id;
    if (location.hash !== `#${id}`) history.replaceState(null, '', `#${id}`);
    void this.current.refresh?.();
    this.render();
    if (focus) requestAnimationFrame(() => document.getElementById('view-heading')?.focus());
  }

  private async signOut(): Promise<void> {
    this.signingOut = true;
    try {
      await signOut();
      this.connection.close();
      showMessage('Signed out', 'This browser no longer holds a car session.');
    } catch (error) {
      this.signingOut = false;
      this.closed = `Sign-out failed: ${errorText(error)}`;
      this.render();
    }
  }

  private fail(error: unknown): void {
    this.closed = `The page could not load its data: ${errorText(error)}`;
    this.render();
  }

  private template() {
    const pending = this.approvals.pendingCount;
    return html`
      <header class="top">
        <h1>car</h1>
        <span class="badge ${this.closed ? 'failed' : 'ok'}" role="status">${this.closed ? 'disconnected' : `signed in as ${this.role}`}</span>
        ${this.expiresAt ? html`<span class="session-end">session until ${shortTimeOf(this.expiresAt)}</span>` : nothing}
        ${this.expiresAt ? html`<button class="sign-out" @click=${() => this.signOut()}>Sign out</button>` : nothing}
      </header>
      <nav aria-label="views">
        <ul>
          ${this.views.map(
            (view) =>
              html`<li>
                <button class="nav" aria-current=${view.id === this.active ? 'page' : nothing} @click=${() => this.show(view.id, true)}>
                  ${view.label}${view.id === 'approvals' && pending ? html` <span class="count" aria-label="${pending} pending">${pending}</span>` : nothing}
                </button>
              </li>`,
          )}
        </ul>
      </nav>
      <main>
        ${this.closed ? html`<p class="error" role="alert">${this.closed}</p>` : nothing}
        <h2 id="view-heading" tabindex="-1">${this.current.label}</h2>
        ${this.current.render()}
      </main>
    `;
  }
}

function shortTimeOf(iso: string): string {
  return new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
}

function viewFromHash(): ViewId | null {
  const id = location.hash.slice(1);
  return ['sessions', 'meetings', 'approvals', 'events', 'surfaces', 'memory', 'inference'].includes(id) ? (id as ViewId) : null;
}

function showMessage(title: string, detail: string): void {
  render(
    html`<main class="signin">
      <h1>${title}</h1>
      <p>${detail}</p>
      <p>Run <code>car ui</code> (or <code>car ui --host</code> for host rights) and open the link it prints.</p>
    </main>`,
    root,
  );
}

async function boot(): Promise<void> {
  const code = takeLoginCode();
  showMessage('Signing in…', code ? 'Exchanging the one-time link for a browser session.' : 'Checking for a browser session.');
  try {
    const session = await ensureBrowserSession(code);
    if (!session.signedIn) {
      if (session.reason) return showMessage('Sign-in failed', session.reason);
      return showMessage(
        'Sign in to car',
        'This browser has no car session (never signed in, signed out, expired, or the daemon restarted); it needs a one-time sign-in link.',
      );
    }
    new Page(await connect(session.expiresAt));
  } catch (error) {
    showMessage('Sign-in failed', errorText(error));
  }
}

void boot();
