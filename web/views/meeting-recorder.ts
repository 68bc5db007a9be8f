import { html, nothing } from 'lit';
import { transcriptStamp, type TranscriptLine } from '../../src/protocol/meeting.js';
import type { VoiceEventParams } from '../../src/protocol/voice.js';
import { captureMicrophone, MICROPHONE_SAMPLE_RATE, type CaptureProgress, type MicrophoneCapture } from '../audio/microphone.js';
import { errorText, type App } from '../app.js';

export type LiveSegment = Pick<TranscriptLine, 'index' | 'text' | 'start_ms' | 'end_ms' | 'role'>;

/** A meeting this page records: its audio comes from the microphone, its events (partials included) come to this page only. */
export interface Recording {
  meetingId: string;
  capture: MicrophoneCapture;
  segments: LiveSegment[];
  partial: string;
  progress: CaptureProgress;
}

/** What the meetings view does when this page starts or ends a recording. */
export interface RecorderEvents {
  started(meetingId: string): Promise<void>;
  stopped(meetingId: string): Promise<void>;
}

/**
 * Records a meeting from the browser's microphone: the start form, then the recording card
 * with the audio time sent so far (the clock of the transcript's stamps, not wall time)
 * and a level meter of the last 100 ms.
 */
export class MeetingRecorder {
  recording: Recording | null = null;
  error: string | null = null;
  private title = '';
  private summarize = true;
  private busy = false;

  constructor(
    private readonly app: App,
    private readonly events: RecorderEvents,
  ) {}

  start(): void {
    this.app.connection.on('voice.event', (params) => this.receive(params));
  }

  /** The live transcript of `meetingId` when this page records it. */
  live(meetingId: string): Recording | null {
    return this.recording?.meetingId === meetingId ? this.recording : null;
  }

  render() {
    return html`
      ${this.recording ? this.recordingCard(this.recording) : this.startForm()} ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
    `;
  }

  private recordingCard(recording: Recording) {
    const { audioMs, level } = recording.progress;
    return html`
      <section class="card recorder" aria-labelledby="recorder-heading">
        <h3 id="recorder-heading"><span class="dot" aria-hidden="true"></span> Recording ${recording.meetingId}</h3>
        <div class="levels">
          <span class="timer" role="timer" aria-label="recorded audio time">${transcriptStamp(audioMs)}</span>
          <meter class="level" aria-label="microphone level" min="0" max="1" low="0.25" high="0.9" optimum="0.6" .value=${level}></meter>
        </div>
        <label class="inline"
          ><input type="checkbox" .checked=${this.summarize} @change=${(event: Event) => (this.summarize = (event.target as HTMLInputElement).checked)} />
          Summarise when stopped</label
        >
        <div class="actions"><button class="danger" ?disabled=${this.busy} @click=${() => this.stop()}>Stop recording</button></div>
      </section>
    `;
  }

  private startForm() {
    return html`
      <section class="card recorder" aria-labelledby="recorder-heading">
        <h3 id="recorder-heading">Record a meeting from this browser's microphone</h3>
        <label for="meeting-title">Title (optional)</label>
        <input
          id="meeting-title"
          type="text"
          maxlength="200"
          .value=${this.title}
          @input=${(event: Event) => (this.title = (event.target as HTMLInputElement).value)}
        />
        <div class="actions"><button class="primary" ?disabled=${this.busy} @click=${() => this.begin()}>Start recording</button></div>
      </section>
    `;
  }

  private async begin(): Promise<void> {
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
      const progress: CaptureProgress = { audioMs: 0, level: 0 };
      const capture = await captureMicrophone(
        started.voice_session_id!,
        (frame) => connection.sendBinary(frame),
        (latest) => {
          Object.assign(progress, latest);
          this.app.render();
        },
      );
      this.recording = { meetingId: started.id, capture, segments: [], partial: '', progress };
      this.title = '';
      await this.events.started(started.id);
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
      await this.events.stopped(recording.meetingId);
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
      recording.segments.push({ index: event.segment_index, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms, role: event.role });
      recording.partial = '';
    }
    if (event.type === 'error') this.error = `Speech engine: ${event.message}`;
    if (event.type === 'error' && event.fatal) void recording.capture.stop().then(() => (this.recording = null));
    this.app.render();
  }
}
