import { transcriptLines, type MeetingTranscriptResult } from '../protocol/meeting.js';
import { subtitles } from '../protocol/subtitles.js';

export const EXPORT_FORMATS = ['md', 'txt', 'srt', 'vtt', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/**
 * `car meeting export`: a transcript as Markdown (with the summary), plain text, SubRip, WebVTT or
 * JSON, with times from the segments and who spoke (`role: `, WebVTT's `<v role>`).
 */
export function exportTranscript(transcript: MeetingTranscriptResult, format: ExportFormat): string {
  const segments = transcript.segments.filter((segment) => /\S/.test(segment.text));
  switch (format) {
    case 'json':
      return JSON.stringify(transcript, null, 2) + '\n';
    case 'txt':
      return transcriptLines(segments).join('\n') + '\n';
    case 'md':
      return markdown(transcript, transcriptLines(segments));
    case 'srt':
    case 'vtt':
      return subtitles(segments, format);
  }
}

/** The title, the summary (its headings one level down, under its own), then the transcript. */
function markdown(transcript: MeetingTranscriptResult, lines: string[]): string {
  const parts = [`# ${transcript.title ?? transcript.id}`];
  const summary = transcript.summary?.trim();
  if (summary) parts.push('## Summary', summary.replace(/^#/gm, '##'));
  parts.push('## Transcript', lines.join('\n\n'));
  return parts.join('\n\n') + '\n';
}
