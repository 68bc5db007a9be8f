import type { GenerateRequest, InferStreamResult } from '../../protocol/inference.js';
import type { Connection } from '../connection.js';

export interface StreamOptions {
  /** Each text chunk as it arrives. */
  onText(chunk: string): void;
  /** Aborting cancels the stream on the daemon; the result still arrives, with the text so far and `stop_reason: "cancelled"`. */
  signal?: AbortSignal;
}

/** Runs `infer_stream` over any connection, handing each chunk to `onText` as it arrives. */
export async function streamInference(client: Connection, request: GenerateRequest, options: StreamOptions): Promise<InferStreamResult> {
  const streaming = client.call('infer_stream', request);
  const unsubscribe = client.on('inference.stream.event', ({ request_id, event }) => {
    if (request_id === streaming.id && event.type === 'text') options.onText(event.data);
  });
  const cancel = () => client.cancel(streaming.id);
  options.signal?.addEventListener('abort', cancel, { once: true });
  try {
    return await streaming;
  } finally {
    options.signal?.removeEventListener('abort', cancel);
    unsubscribe();
  }
}
