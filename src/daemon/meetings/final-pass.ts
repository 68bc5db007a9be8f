import type { TranscriptLine } from '../../protocol/meeting.js';
import type { VoiceSegment } from '../../protocol/voice.js';
import type { VoiceSessionRegistry } from '../voice/registry.js';
import { WavFileSource } from './file-source.js';

/** One recorded stream of a meeting: its audio file (a WAV the meeting wrote), the role its speech is attributed to, and where it starts on the meeting's clock. */
export interface RecordedStream {
  role: string;
  file: string;
  /** Meeting time of the recording's first sample (captured sources start a little apart); 0 when left out. */
  offsetMs?: number;
}

export type FinalLine = Omit<TranscriptLine, 'at'>;

/**
 * A meeting's final pass (issue 22): each stream's whole recording decoded in long windows,
 * as a batch decoder would, its segments tagged with the stream's role and moved onto the
 * meeting's clock (a time before the meeting's start is clipped at 0, as live events are),
 * all of them merged by start time (a tie keeps the streams' order) and numbered afresh.
 * The streams are decoded side by side, each on its own decoder; the first failure stops the
 * others. The live transcript is only what could be decoded while people were still talking;
 * this one replaces it.
 */
export async function finalPass(
  streams: readonly RecordedStream[],
  voice: Pick<VoiceSessionRegistry, 'transcribeRecording'>,
  signal?: AbortSignal,
): Promise<FinalLine[]> {
  const failed = new AbortController();
  const stop = signal ? AbortSignal.any([signal, failed.signal]) : failed.signal;
  const decode = async (stream: RecordedStream): Promise<VoiceSegment[]> => {
    const recording = await WavFileSource.open(stream.file);
    try {
      return await voice.transcribeRecording(recording.pcm(stop), recording.format, { signal: stop });
    } catch (error) {
      failed.abort(error);
      throw error;
    } finally {
      await recording.close();
    }
  };
  const decoded = await Promise.allSettled(streams.map(decode));
  signal?.throwIfAborted();
  const rejected = decoded.find((outcome): outcome is PromiseRejectedResult => outcome.status === 'rejected');
  if (rejected) throw rejected.reason;
  const merged = decoded.flatMap((outcome, order) => {
    const { role, offsetMs = 0 } = streams[order]!;
    const shift = (ms: number) => Math.max(0, Math.round(ms + offsetMs));
    return (outcome as PromiseFulfilledResult<VoiceSegment[]>).value.map((segment) => ({
      role,
      order,
      segment: { ...segment, start_ms: shift(segment.start_ms), end_ms: shift(segment.end_ms) },
    }));
  });
  merged.sort((a, b) => a.segment.start_ms - b.segment.start_ms || a.order - b.order || a.segment.index - b.segment.index);
  return merged.map(({ role, segment }, index) => ({ index, text: segment.text, start_ms: segment.start_ms, end_ms: segment.end_ms, role }));
}
