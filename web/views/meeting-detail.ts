import { html, nothing } from 'lit';
import { unsafeHTML } from 'lit/directives/unsafe-html.js';
import { transcriptStamp, type MeetingRecord, type SummaryProgress } from '../../src/protocol/meeting.js';
import { dateTimeOf, errorText, type App } from '../app.js';
import { releaseExports, transcriptExports, type ExportLink } from '../exports.js';
import { renderMarkdown } from '../markdown.js';
import type { LiveSegment, MeetingRecorder } from './meeting-recorder.js';

interface Opened {
  id: string;
  record: MeetingRecord | null;
  /** The summary's Markdown rendered once per read, not on every redraw. */
  summaryHtml: string | null;
  exports: ExportLink[];
  error: string | null;
}

type Action = { kind: 'summarizing'; progress: SummaryProgress | null } | { kind: 'confirming-delete' } | { kind: 'deleting' };

/**
 * One opened meeting: its transcript with each line's speaker role, the summary rendered
 * from Markdown, exports, and the actions on a stopped meeting: re-summarise (any session)
 * and delete (host role, after a confirmation).
 */
export class MeetingDetail {
  opened: Opened | null = null;
  private action: Action | null = null;
  private notice: string | null = null;

  constructor(
    private readonly app: App,
    private readonly recorder: Pick<MeetingRecorder, 'live'>,
    private readonly deleted: (meetingId: string) => Promise<void>,
  ) {}

  start(): void {
    this.app.connection.on('meeting.summary.progress', ({ meeting_id, done, total }) => {
      if (this.action?.kind !== 'summarizing' || this.opened?.id !== meeting_id) return;
      this.action.progress = { done, total };
      this.app.render();
    });
  }

  async open(id: string): Promise<void> {
    if (this.opened) releaseExports(this.opened.exports);
    this.opened = { id, record: null, summaryHtml: null, exports: [], error: null };
    this.action = null;
    this.notice = null;
    await this.load(id);
    this.app.render();
  }

  /** Re-reads the opened meeting while it records (other connections' meetings have no live events here). */
  async refresh(): Promise<void> {
    const opened = this.opened;
    if (opened && (opened.record === null || opened.record.status === 'recording')) await this.load(opened.id);
  }

  /** Reads the meeting again, if it is the opened one, after it stopped or its summary changed. */
  reload(id: string): Promise<void> {
    return this.load(id);
  }

  render() {
    if (!this.opened) return this.notice ? html`<p class="muted" role="status">${this.notice}</p>` : nothing;
    const opened = this.opened;
    const record = opened.record;
    const live = this.recorder.live(opened.id);
    const segments: readonly LiveSegment[] = live ? live.segments : (record?.transcript ?? []);
    return html`
      <section class="card detail" aria-labelledby="meeting-detail-heading" data-meeting-detail=${opened.id}>
        <h3 id="meeting-detail-heading">${record?.title ?? opened.id}</h3>
        ${opened.error ? html`<p class="error" role="alert">${opened.error}</p>` : nothing}
        ${record ? html`<p class="muted">${record.status}${record.stop_reason ? ` (${record.stop_reason})` : ''} · started ${dateTimeOf(record.started_at)}</p>` : nothing}
        <h4>Transcript</h4>
        <ol class="transcript" aria-live="polite" aria-label="transcript">
          ${segments.map((segment) => html`<li><span class="time">${transcriptStamp(segment.start_ms)}</span>${roleBadge(segment.role)} ${segment.text}</li>`)}
          ${live?.partial ? html`<li class="partial"><span class="time">…</span> <em>${live.partial}</em></li>` : nothing}
        </ol>
        ${segments.length === 0 && !live?.partial ? html`<p class="muted">${record?.status === 'recording' ? 'Listening…' : 'No speech was transcribed.'}</p>` : nothing}
        ${record && record.status !== 'recording' ? this.stoppedParts(opened, record) : nothing}
      </section>
    `;
  }

  private stoppedParts(opened: Opened, record: MeetingRecord) {
    return html`
      <h4>Summary</h4>
      ${
        opened.summaryHtml !== null
          ? html`<div class="summary markdown" aria-label="summary">${unsafeHTML(opened.summaryHtml)}</div>`
          : html`<p class="muted">${record.summary_error ?? 'No summary.'}</p>`
      }
      <h4>Export</h4>
      <ul class="exports">
        ${opened.exports.map((link) => html`<li><a href=${link.href} download=${link.fileName}>${link.label}</a></li>`)}
      </ul>
      ${this.actions(record)}
    `;
  }

  private actions(record: MeetingRecord) {
    const action = this.action;
    const busy = action?.kind === 'summarizing' || action?.kind === 'deleting';
    const mayDelete = this.app.role === 'host' || this.app.role === 'anonymous';
    if (action?.kind === 'confirming-delete') {
      return html`
        <div class="confirm" role="alertdialog" aria-labelledby="confirm-delete-text">
          <p id="confirm-delete-text">
            Delete “${record.title ?? record.id}” for good? Its transcript, summary and files are removed from the daemon; this cannot be undone.
          </p>
          <div class="actions">
            <button class="danger" @click=${() => this.remove(record.id)}>Delete meeting</button>
            <button @click=${() => this.setAction(null)}>Cancel</button>
          </div>
        </div>
      `;
    }
    return html`
      <div class="actions">
        <button ?disabled=${busy} @click=${() => this.resummarize(record.id)}>Re-summarise</button>
        ${mayDelete ? html`<button class="danger" ?disabled=${busy} @click=${() => this.setAction({ kind: 'confirming-delete' })}>Delete…</button>` : nothing}
      </div>
      ${
        action?.kind === 'summarizing'
          ? html`<p class="muted" role="status">Summarising…${action.progress ? ` ${action.progress.done} of ${action.progress.total} model calls` : ''}</p>`
          : nothing
      }
      ${mayDelete ? nothing : html`<p class="muted" role="note">Deleting a meeting needs host rights: open the UI with <code>car ui --host</code>.</p>`}
    `;
  }

  private setAction(action: Action | null): void {
    this.action = action;
    this.app.render();
  }

  private async resummarize(id: string): Promise<void> {
    this.setAction({ kind: 'summarizing', progress: null });
    try {
      const result = await this.app.connection.call('meeting.summarize', { id });
      await this.reload(id);
      if (this.opened?.id === id && result.summary === null) this.opened.error = `No new summary: ${result.summary_error ?? 'the summariser returned none'}`;
    } catch (error) {
      if (this.opened?.id === id) this.opened.error = `Could not summarise: ${errorText(error)}`;
    }
    this.setAction(null);
  }

  private async remove(id: string): Promise<void> {
    this.setAction({ kind: 'deleting' });
    try {
      await this.app.connection.call('meeting.delete', { id });
      if (this.opened?.id === id) {
        releaseExports(this.opened.exports);
        this.opened = null;
      }
      this.notice = `Deleted meeting ${id}.`;
      await this.deleted(id);
    } catch (error) {
      if (this.opened?.id === id) this.opened.error = `Could not delete: ${errorText(error)}`;
    }
    this.setAction(null);
  }

  private async load(id: string): Promise<void> {
    const opened = this.opened;
    if (!opened || opened.id !== id) return;
    try {
      const record = await this.app.connection.call('meeting.get', { meeting_id: id });
      if (this.opened !== opened) return;
      releaseExports(opened.exports);
      opened.record = record;
      opened.summaryHtml = record.summary ? renderMarkdown(record.summary) : null;
      opened.exports =
        record.status === 'recording'
          ? []
          : transcriptExports({
              id: record.id,
              title: record.title,
              started_at: record.started_at,
              summary: record.summary,
              segments: record.transcript.map(({ at: _at, ...segment }) => segment),
            });
      opened.error = null;
    } catch (error) {
      opened.error = errorText(error);
    }
  }
}

/** The speaker role of a line (`mic`, `system` or a given label); `unknown` (one source, no roles) shows nothing. */
function roleBadge(role: string) {
  return role && role !== 'unknown' ? html` <span class="role" data-role=${role}>${role}</span>` : nothing;
}
