import type { VoiceSegment } from '../../protocol/voice.js';
import type { SttEngine } from './stt-engine.js';

export interface RecordingFormat {
  sampleRate: number;
  channels: 1 | 2;
}

/**
 * Transcribes a whole recording the way a batch decoder does: the engine's `recording`
 * mode (for PocketSphinx, long windows cut at the longest pauses), no partials, no session.
 * PCM in (s16le at `format`), the final segments with their start and end ms out; an
 * aborted `signal` or an engine failure rejects and frees the decoder.
 */
export async function transcribeRecording(
  engine: SttEngine,
  audio: AsyncIterable<Uint8Array>,
  format: RecordingFormat,
  signal?: AbortSignal,
): Promise<VoiceSegment[]> {
  const segments: VoiceSegment[] = [];
  let failure: string | null = null;
  const stream = await engine.open({ ...format, partials: false, mode: 'recording' }, (event) => {
    if (event.type === 'transcript') segments.push({ index: segments.length, text: event.text, start_ms: event.start_ms, end_ms: event.end_ms });
    else if (event.type === 'error' && event.fatal) failure = event.message;
  });
  try {
    for await (const pcm of audio) {
      signal?.throwIfAborted();
      if (failure) break;
      await stream.write(pcm);
    }
    signal?.throwIfAborted();
    if (!failure) await stream.end();
  } catch (error) {
    stream.discard();
    throw error;
  }
  if (failure) {
    stream.discard();
    throw new Error(failure);
  }
  return segments;
}
