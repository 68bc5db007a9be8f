import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { transcriptStamp, type MeetingEntry } from '../../src/protocol/meeting.js';
import { dateTimeOf, errorText, type App, type View } from '../app.js';
import { MeetingDetail } from './meeting-detail.js';
import { MeetingRecorder } from './meeting-recorder.js';

/**
 * Meetings: the list, one opened meeting (transcript, summary, exports, re-summarise and
 * delete), and recording from the browser's microphone. Meetings of other connections show
 * their finals as they are persisted; partials exist only for the connection that owns a
 * meeting (docs/protocol.md#meeting-start).
 */
export class MeetingsView implements View {
  readonly id = 'meetings';
  readonly label = 'Meetings';
  private meetings: MeetingEntry[] = [];
  private error: string | null = null;
  private readonly recorder: MeetingRecorder;
  private readonly detail: MeetingDetail;

  constructor(private readonly app: App) {
    this.recorder = new MeetingRecorder(app, {
      started: async (meetingId) => {
        await this.detail.open(meetingId);
        await this.refresh();
      },
      stopped: async (meetingId) => {
        await this.detail.reload(meetingId);
        await this.refresh();
      },
    });
    this.detail = new MeetingDetail(app, this.recorder, () => this.refresh());
  }

  start(): void {
    this.recorder.start();
    this.detail.start();
  }

  async refresh(): Promise<void> {
    try {
      this.meetings = (await this.app.connection.call('meeting.list', {})).meetings;
      this.error = null;
      await this.detail.refresh();
    } catch (error) {
      this.error = errorText(error);
    }
    this.app.render();
  }

  render() {
    const openedId = this.detail.opened?.id;
    return html`
      ${this.recorder.render()} ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="split">
        <section aria-labelledby="meeting-list-heading">
          <h3 id="meeting-list-heading">All meetings</h3>
          ${this.meetings.length === 0 ? html`<p class="muted">No meetings yet.</p>` : nothing}
          <ul class="cards" aria-label="meetings">
            ${repeat(
              this.meetings,
              (meeting) => meeting.id,
              (meeting) => html`
                <li class="card ${openedId === meeting.id ? 'selected' : ''}" data-meeting=${meeting.id}>
                  <div class="card-title">
                    <strong>${meeting.title ?? meeting.id}</strong>
                    <span class="badge ${meeting.status}">${meeting.status}</span>
                  </div>
                  <p class="muted">
                    ${dateTimeOf(meeting.started_at)} · ${meeting.segment_count}
                    segment${meeting.segment_count === 1 ? '' : 's'}${meeting.duration_ms !== null ? ` · ${transcriptStamp(meeting.duration_ms)}` : ''}
                  </p>
                  <button @click=${() => this.detail.open(meeting.id)} aria-label="open meeting ${meeting.title ?? meeting.id}">Open</button>
                </li>
              `,
            )}
          </ul>
        </section>
        ${this.detail.render()}
      </div>
    `;
  }
}
