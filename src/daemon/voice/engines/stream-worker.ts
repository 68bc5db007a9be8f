import { parentPort } from 'node:worker_threads';
import { PcmConverter } from '../../../audio/resample.js';
import type { VoiceEvent } from '../../../protocol/voice.js';
import type { TranscriptionMode } from '../stt-engine.js';
import { EngineLoadFailure } from './engine-record.js';
import type { WorkerReply, WorkerRequest } from './stream-messages.js';

/** Engines take 16 kHz mono. */
export const ENGINE_SAMPLE_RATE = 16000;

/** One stream inside an engine's worker thread, fed 16 kHz mono samples. */
export interface WorkerStream {
  write(samples: Int16Array): void;
  /** Flushes: the last utterance's events are emitted before this returns. */
  end(): void;
  /** Gives back what the stream holds; `broken` when it threw and its decoder is in an unknown state. */
  release(broken: boolean): void;
}

export type OpenWorkerStream = (options: { partials: boolean; mode: TranscriptionMode }, emit: (event: VoiceEvent) => void) => WorkerStream;

/**
 * The body of an engine's worker thread: decodes every stream assigned to it, one request
 * at a time and in arrival order, off the daemon's event loop.
 */
export function serveStreams(openStream: OpenWorkerStream): void {
  const port = parentPort!;
  const streams = new Map<number, { stream: WorkerStream; converter: PcmConverter }>();
  const send = (reply: WorkerReply) => port.postMessage(reply);

  const live = (id: number) => {
    const open = streams.get(id);
    if (!open) throw new Error('the speech stream is no longer open');
    return open;
  };
  const release = (id: number, broken: boolean) => {
    const open = streams.get(id);
    if (!open) return;
    streams.delete(id);
    open.stream.release(broken);
  };

  port.on('message', (request: WorkerRequest) => {
    if (request.op === 'discard') {
      release(request.stream, false);
      return;
    }
    try {
      switch (request.op) {
        case 'open': {
          const emit = (event: VoiceEvent) => send({ op: 'event', stream: request.stream, event });
          streams.set(request.stream, {
            stream: openStream({ partials: request.partials, mode: request.mode }, emit),
            converter: new PcmConverter(request.sampleRate, request.channels, ENGINE_SAMPLE_RATE),
          });
          break;
        }
        case 'write': {
          const open = live(request.stream);
          open.stream.write(open.converter.convert(new Uint8Array(request.pcm)));
          break;
        }
        case 'end':
          live(request.stream).stream.end();
          release(request.stream, false);
      }
      send({ op: 'done', ticket: request.ticket });
    } catch (error) {
      // A decoder that threw mid-utterance is in an unknown state: free it rather than reuse it.
      if (request.op !== 'open') release(request.stream, true);
      send({ op: 'done', ticket: request.ticket, error: (error as Error).message, ...(error instanceof EngineLoadFailure && { failure: error.kind }) });
    }
  });
}
