import type { InferenceStreamEvent } from '../../protocol/inference.js';

/**
 * The `inference.stream.event`s of one `infer_stream` call, in order. Text is sent one
 * event-loop turn after it was generated, as one `text` event: node-llama-cpp dispatches the
 * next token's decode at the end of the turn that delivered a chunk (`setImmediate`), so the
 * socket write then overlaps that decode instead of delaying it, and chunks generated within
 * the turn go out together. Any other event sends the text held before it first, and the
 * call flushes before its response, so the response still ends the stream.
 */
export class StreamEvents {
  private pendingText = '';
  private flushScheduled = false;

  constructor(private readonly send: (event: InferenceStreamEvent) => void) {}

  text(chunk: string): void {
    this.pendingText += chunk;
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => setImmediate(this.flush));
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
    this.send({ type: 'text', data });
  };
}
