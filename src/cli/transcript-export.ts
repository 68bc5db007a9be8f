import { stringifySync } from 'subtitle';
import { transcriptLines, transcriptStamp, type MeetingTranscriptResult } from '../protocol/meeting.js';

export const EXPORT_FORMATS = ['md', 'txt', 'srt', 'vtt', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `car meeting export`: a transcript as Markdown, plain text, SubRip, WebVTT or JSON, with times from the segments. */
export function exportTranscript(transcript: MeetingTranscriptResult, format: ExportFormat): string {
  const segments = transcript.segments.filter((segment) => /\S/.test(segment.text));
  switch (format) {
    case 'json':
      return JSON.stringify(transcript, null, 2) + '\n';
    case 'txt':
      return segments.map((segment) => `[${transcriptStamp(segment.start_ms)}] ${segment.text}`).join('\n') + '\n';
    case 'md':
      return `# ${transcript.title ?? transcript.id}\n\n${transcriptLines(segments).join('\n\n')}\n`;
    case 'srt':
    case 'vtt':
      return stringifySync(
        segments.map((segment) => ({ type: 'cue' as const, data: { start: segment.start_ms, end: Math.max(segment.end_ms, segment.start_ms + 1), text: segment.text } })),
        { format: format === 'srt' ? 'SRT' : 'WebVTT' },
      );
  }
}
