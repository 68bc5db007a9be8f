import { transcriptLines, type MeetingTranscriptResult } from '../protocol/meeting.js';
import { subtitles } from '../protocol/subtitles.js';

export const EXPORT_FORMATS = ['md', 'txt', 'srt', 'vtt', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** What each format is called and served as, for download links and file names. */
export const EXPORT_FILE_TYPES: Record<ExportFormat, { label: string; mediaType: string }> = {
  md: { label: 'Markdown', mediaType: 'text/markdown' },
  txt: { label: 'Text', mediaType: 'text/plain' },
  srt: { label: 'SRT subtitles', mediaType: 'application/x-subrip' },
  vtt: { label: 'WebVTT subtitles', mediaType: 'text/vtt' },
  json: { label: 'JSON', mediaType: 'application/json' },
};

/**
 * A meeting's transcript as Markdown (led by the summary), plain text, SubRip, WebVTT or JSON, with
 * times from the segments and who spoke (`role: `, WebVTT's `<v role>`). The one exporter of
 * `car meeting export` and the browser's download links, so both give the same files; it uses no
 * Node built-ins.
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
