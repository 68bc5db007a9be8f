import { html, nothing } from 'lit';
import { repeat } from 'lit/directives/repeat.js';
import { transcriptStamp, type MeetingEntry, type MeetingRecord, type TranscriptLine } from '../../src/protocol/meeting.js';
import type { VoiceEventParams } from '../../src/protocol/voice.js';
import { captureMicrophone, MICROPHONE_SAMPLE_RATE, type MicrophoneCapture } from '../audio/microphone.js';
import { dateTimeOf, errorText, type App, type View } from '../app.js';
import { releaseExports, transcriptExports, type ExportLink } from '../exports.js';

type Segment = Pick<TranscriptLine, 'index' | 'text' | 'start_ms' | 'end_ms'>;

/** A meeting this page records: its audio comes from the microphone, its events (partials included) come to this page only. */
interface Recording {
  meetingId: string;
  capture: MicrophoneCapture;
  segments: Segment[];
  partial: string;
}

interface Opened {
  id: string;
  record: MeetingRecord | null;
  exports: ExportLink[];
  error: string | null;
}

/**
 * Meetings: the list, one opened meeting (transcript, summary, exports), and recording from
 * the browser's microphone. Meetings of other connections show their finals as they are
 * persisted; partials exist only for the connection that owns a meeting (§16.3).
 */
export class MeetingsView implements View {
  readonly id = 'meetings';
  readonly label = 'Meetings';
  private meetings: MeetingEntry[] = [];
  private recording: Recording | null = null;
  private opened: Opened | null = null;
  private title = '';
  private summarize = true;
  private busy = false;
  private error: string | null = null;

  constructor(private readonly app: App) {}

  start(): void {
    this.app.connection.on('voice.event', (params) => this.receive(params));
  }

  async refresh(): Promise<void> {
    try {
      this.meetings = (await this.app.connection.call('meeting.list', {})).meetings;
      const opened = this.opened;
      if (opened && (opened.record === null || opened.record.status === 'recording')) await this.load(opened.id);
    } catch (error) {
      this.error = errorText(error);
    }
    this.app.render();
  }

  render() {
    return html`
      ${this.recorder()}
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <div class="split">
        <section aria-labelledby="meeting-list-heading">
          <h3 id="meeting-list-heading">All meetings</h3>
          ${this.meetings.length === 0 ? html`<p class="muted">No meetings yet.</p>` : nothing}
          <ul class="cards" aria-label="meetings">
            ${repeat(
              this.meetings,
              (meeting) => meeting.id,
              (meeting) => html`
                <li class="card ${this.opened?.id === meeting.id ? 'selected' : ''}" data-meeting=${meeting.id}>
                  <div class="card-title">
                    <strong>${meeting.title ?? meeting.id}</strong>
                    <span class="badge ${meeting.status}">${meeting.status}</span>
                  </div>
                  <p class="muted">${dateTimeOf(meeting.started_at)} · ${meeting.segment_count} segment${meeting.segment_count === 1 ? '' : 's'}${meeting.duration_ms !== null ? ` · ${transcriptStamp(meeting.duration_ms)}` : ''}</p>
                  <button @click=${() => this.open(meeting.id)} aria-label="open meeting ${meeting.title ?? meeting.id}">Open</button>
                </li>
              `,
            )}
          </ul>
        </section>
        ${this.opened ? this.detail(this.opened) : nothing}
      </div>
    `;
  }

  private recorder() {
    const recording = this.recording;
    if (recording) {
      return html`
        <section class="card recorder" aria-labelledby="recorder-heading">
          <h3 id="recorder-heading"><span class="dot" aria-hidden="true"></span> Recording ${recording.meetingId}</h3>
          <label class="inline"><input type="checkbox" .checked=${this.summarize} @change=${(event: Event) => (this.summarize = (event.target as HTMLInputElement).checked)} /> Summarise when stopped</label>
          <div class="actions"><button class="danger" ?disabled=${this.busy} @click=${() => this.stop()}>Stop recording</button></div>
        </section>
      `;
    }
    return html`
      <section class="card recorder" aria-labelledby="recorder-heading">
        <h3 id="recorder-heading">Record a meeting from this browser's microphone</h3>
        <label for="meeting-title">Title (optional)</label>
        <input id="meeting-title" type="text" maxlength="200" .value=${this.title} @input=${(event: Event) => (this.title = (event.target as HTMLInputElement).value)} />
        <div class="actions"><button class="primary" ?disabled=${this.busy} @click=${() => this.startRecording()}>Start recording</button></div>
      </section>
    `;
  }

  private detail(opened: Opened) {
    const record = opened.record;
    const live = this.recording?.meetingId === opened.id ? this.recording : null;
    const segments: Segment[] = live ? live.segments : (record?.transcript ?? []);
    return html`
      <section class="card detail" aria-labelledby="meeting-detail-heading" data-meeting-detail=${opened.id}>
        <h3 id="meeting-detail-heading">${record?.title ?? opened.id}</h3>
        ${opened.error ? html`<p class="error" role="alert">${opened.error}</p>` : nothing}
        ${record ? html`<p class="muted">${record.status}${record.stop_reason ? ` (${record.stop_reason})` : ''} · started ${dateTimeOf(record.started_at)}</p>` : nothing}
        <h4>Transcript</h4>
        <ol class="transcript" aria-live="polite" aria-label="transcript">
          ${segments.map((segment) => html`<li><span class="time">${transcriptStamp(segment.start_ms)}</span> ${segment.text}</li>`)}
          ${live?.partial ? html`<li class="partial"><span class="time">…</span> <em>${live.partial}</em></li>` : nothing}
        </ol>
        ${segments.length === 0 && !live?.partial ? html`<p class="muted">${record?.status === 'recording' ? 'Listening…' : 'No speech was transcribed.'}</p>` : nothing}
        ${record && record.status !== 'recording'
          ? html`
              <h4>Summary</h4>
              ${record.summary ? html`<p class="summary">${record.summary}</p>` : html`<p class="muted">${record.summary_error ?? 'No summary.'}</p>`}
              <h4>Export</h4>
              <ul class="exports">
                ${opened.exports.map((link) => html`<li><a href=${link.href} download=${link.fileName}>${link.label}</a></li>`)}
              </ul>
            `
          : nothing}
      </section>
    `;
  }

  private async open(id: string): Promise<void> {
    if (this.opened) releaseExports(this.opened.exports);
    this.opened = { id, record: null, exports: [], error: null };
    await this.load(id);
    this.app.render();
  }

  private async load(id: string): Promise<void> {
    const opened = this.opened;
    if (!opened || opened.id !== id) return;
    try {
      const record = await this.app.connection.call('meeting.get', { meeting_id: id });
      if (this.opened !== opened) return;
      releaseExports(opened.exports);
      opened.record = record;
      opened.exports = record.status === 'recording' ? [] : transcriptExports(record.id, record.title, record.transcript, record.summary);
      opened.error = null;
    } catch (error) {
      opened.error = errorText(error);
    }
  }

  private async startRecording(): Promise<void> {
    this.busy = true;
    this.error = null;
    this.app.render();
    const { connection } = this.app;
    let meetingId: string | null = null;
    try {
      const title = this.title.trim();
      const started = await connection.call('meeting.start', {
        ...(title ? { title } : {}),
        audio_source: { kind: 'pcm_push', sample_rate: MICROPHONE_SAMPLE_RATE, channels: 1 },
      });
      meetingId = started.id;
      const capture = await captureMicrophone(started.voice_session_id!, (frame) => connection.sendBinary(frame));
      this.recording = { meetingId: started.id, capture, segments: [], partial: '' };
      this.title = '';
      await this.open(started.id);
      await this.refresh();
    } catch (error) {
      this.error = `Could not start recording: ${errorText(error)}`;
      if (meetingId) await connection.call('meeting.stop', { meeting_id: meetingId, summarize: false }).catch(() => undefined);
    } finally {
      this.busy = false;
      this.app.render();
    }
  }

  private async stop(): Promise<void> {
    const recording = this.recording;
    if (!recording) return;
    this.busy = true;
    this.app.render();
    try {
      await recording.capture.stop();
      await this.app.connection.call('meeting.stop', { meeting_id: recording.meetingId, summarize: this.summarize });
      this.recording = null;
      if (this.opened?.id === recording.meetingId) this.opened.record = null;
      await this.refresh();
    } catch (error) {
      this.error = `Could not stop the meeting: ${errorText(error)}`;
    } finally {
      this.busy = false;
      this.app.render();
    }
  }

  private receive({ meeting_id, event }: VoiceEventParams): void {
    const recording = this.recording;
    if (!recording || meeting_id !== recording.meetingId) return;
    if (event.type === 'partial') recording.partial = event.text;
    if (event.type === 'transcript') {
      recording.segments.push({ index: event.segment_index, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms });
      recording.partial = '';
    }
    if (event.type === 'error') this.error = `Speech engine: ${event.message}`;
    if (event.type === 'error' && event.fatal) void recording.capture.stop().then(() => (this.recording = null));
    this.app.render();
  }
}
