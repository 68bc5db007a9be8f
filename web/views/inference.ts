import { html, nothing } from 'lit';
import type { AdmissionStatus } from '../../src/protocol/core.js';
import type { InferStreamResult } from '../../src/protocol/inference.js';
import { errorText, type App, type View } from '../app.js';

type Phase = 'idle' | 'waiting' | 'generating' | 'done';

/** A prompt box streaming tokens from `infer_stream`, with the admission gate's state beside it. */
export class InferenceView implements View {
  readonly id = 'inference';
  readonly label = 'Inference';
  private prompt = '';
  private maxTokens = 64;
  private output = '';
  private phase: Phase = 'idle';
  private result: InferStreamResult | null = null;
  private admission: AdmissionStatus | null = null;
  private error: string | null = null;
  private streamId: number | null = null;
  private abort: AbortController | null = null;

  constructor(private readonly app: App) {}

  start(): void {
    this.app.connection.on('inference.stream.event', ({ request_id, event }) => {
      if (request_id !== this.streamId) return;
      if (event.type === 'text') {
        this.output += event.data;
        this.phase = 'generating';
      }
      if (event.type === 'error') this.error = event.message;
      this.app.render();
    });
  }

  async refresh(): Promise<void> {
    try {
      this.admission = await this.app.connection.call('admission.status', {});
    } catch (error) {
      this.error = errorText(error);
    }
    this.app.render();
  }

  render() {
    const running = this.phase === 'waiting' || this.phase === 'generating';
    const admission = this.admission;
    return html`
      <form class="stack" @submit=${(event: Event) => this.generate(event)}>
        <label for="prompt">Prompt</label>
        <textarea
          id="prompt"
          rows="4"
          required
          .value=${this.prompt}
          @input=${(event: Event) => (this.prompt = (event.target as HTMLTextAreaElement).value)}
        ></textarea>
        <div class="toolbar">
          <label for="max-tokens">Max tokens</label>
          <input
            id="max-tokens"
            type="number"
            min="1"
            max="8192"
            .value=${String(this.maxTokens)}
            @input=${(event: Event) => (this.maxTokens = Number((event.target as HTMLInputElement).value) || 64)}
          />
          <button class="primary" type="submit" ?disabled=${running}>Generate</button>
          <button type="button" ?disabled=${!running} @click=${() => this.abort?.abort()}>Stop</button>
        </div>
      </form>
      <p class="admission" role="status" aria-live="polite">
        ${phaseText(this.phase)}
        ${admission ? html` · Admission: ${admission.permits_in_use} of ${admission.permits_total} permits in use, ${admission.queued} queued` : nothing}
      </p>
      ${this.error ? html`<p class="error" role="alert">${this.error}</p>` : nothing}
      <pre class="output" aria-label="generated text" aria-live="polite">${this.output}</pre>
      ${this.result ? html`<p class="muted">${this.result.model_used} · stopped: ${this.result.stop_reason ?? 'unknown'}${this.result.usage ? ` · ${this.result.usage.output_tokens} tokens` : ''}</p>` : nothing}
    `;
  }

  private async generate(event: Event): Promise<void> {
    event.preventDefault();
    this.output = '';
    this.result = null;
    this.error = null;
    this.phase = 'waiting';
    this.abort = new AbortController();
    const call = this.app.connection.call('infer_stream', { prompt: this.prompt, max_tokens: this.maxTokens }, { signal: this.abort.signal });
    this.streamId = call.id;
    this.app.render();
    void this.refresh();
    try {
      this.result = await call;
    } catch (error) {
      this.error = this.abort.signal.aborted ? 'Stopped.' : errorText(error);
    } finally {
      this.phase = 'done';
      this.abort = null;
      void this.refresh();
    }
  }
}

function phaseText(phase: Phase): string {
  if (phase === 'waiting') return 'Waiting for an admission permit and the model…';
  if (phase === 'generating') return 'Generating…';
  if (phase === 'done') return 'Done.';
  return 'Idle.';
}
