import type { TranscriptLine } from '../../protocol/meeting.js';
import type { VoiceSegment } from '../../protocol/voice.js';
import type { VoiceSessionRegistry } from '../voice/registry.js';
import { WavFileSource } from './file-source.js';

/** One recorded source of a meeting: its audio file (a WAV the meeting wrote) and the role its speech is attributed to. */
export interface RecordedSource {
  role: string;
  file: string;
}

export type FinalLine = Omit<TranscriptLine, 'at'>;

/**
 * A meeting's final pass (issue 22): each source's whole recording decoded in long windows,
 * as a batch decoder would, its segments tagged with the source's role, all of them merged
 * by start time (a tie keeps the sources' order) and numbered afresh. The live transcript
 * is only what could be decoded while people were still talking; this one replaces it.
 */
export async function finalPass(
  sources: readonly RecordedSource[],
  voice: Pick<VoiceSessionRegistry, 'transcribeRecording'>,
  signal?: AbortSignal,
): Promise<FinalLine[]> {
  const perSource: { role: string; segments: VoiceSegment[] }[] = [];
  for (const source of sources) {
    const recording = await WavFileSource.open(source.file);
    try {
      const stop = signal ?? new AbortController().signal;
      perSource.push({ role: source.role, segments: await voice.transcribeRecording(recording.pcm(stop), recording.format, { signal }) });
    } finally {
      await recording.close();
    }
  }
  const merged = perSource.flatMap(({ role, segments }, order) => segments.map((segment) => ({ role, order, segment })));
  merged.sort((a, b) => a.segment.start_ms - b.segment.start_ms || a.order - b.order || a.segment.index - b.segment.index);
  return merged.map(({ role, segment }, index) => ({ index, text: segment.text, start_ms: segment.start_ms, end_ms: segment.end_ms, role }));
}
