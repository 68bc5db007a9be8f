import type { InferenceStreamEvent } from '../../protocol/inference.js';

/**
 * Text events go out at most this often: one 60 Hz screen frame, so nobody sees the difference.
 * A model that generates a token every 16 ms or slower (every model people read along with)
 * still sends each token as it comes; a tiny fast one does not pay a socket write and a wake-up
 * of the client per token. On two cores each event cost its stream about 0.6 ms of generation
 * (bench `inference`: 0.89-0.91x in-process tokens/s at 8 ms, 0.95x at 16 ms).
 */
export const MIN_TEXT_INTERVAL_MS = 16;

/**
 * The `inference.stream.event`s of one `infer_stream` call, in order. Text is sent one
 * event-loop turn after it was generated, as one `text` event: node-llama-cpp dispatches the
 * next token's decode at the end of the turn that delivered a chunk (`setImmediate`), so the
 * socket write then overlaps that decode instead of delaying it, and chunks generated within
 * the turn go out together; within `MIN_TEXT_INTERVAL_MS` of the last text event, text waits
 * for the interval to end. Any other event sends the text held before it first, and the call
 * flushes before its response, so the response still ends the stream.
 */
export class StreamEvents {
  private pendingText = '';
  private flushScheduled = false;
  private lastTextAt = -Infinity;

  constructor(private readonly send: (event: InferenceStreamEvent) => void) {}

  text(chunk: string): void {
    this.pendingText += chunk;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    const wait = this.lastTextAt + MIN_TEXT_INTERVAL_MS - performance.now();
    if (wait > 0) setTimeout(this.flush, Math.ceil(wait));
    else setImmediate(() => setImmediate(this.flush));
  }

  emit(event: InferenceStreamEvent): void {
    this.flush();
    this.send(event);
  }

  readonly flush = (): void => {
    this.flushScheduled = false;
    if (this.pendingText === '') return;
    const data = this.pendingText;
    this.pendingText = '';
    this.lastTextAt = performance.now();
    this.send({ type: 'text', data });
  };
}
