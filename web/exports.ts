import { transcriptLines, type TranscriptLine } from '../src/protocol/meeting.js';
import { subtitles } from '../src/protocol/subtitles.js';

export interface ExportLink {
  label: string;
  fileName: string;
  href: string;
}

type Segment = Pick<TranscriptLine, 'start_ms' | 'end_ms' | 'text' | 'role'>;

/** Download links built in the page from the transcript it already holds (blob: URLs; nothing is fetched). */
export function transcriptExports(meetingId: string, title: string | null, segments: readonly Segment[], summary: string | null): ExportLink[] {
  const files: [string, string, string, string][] = [
    ['Text', 'txt', 'text/plain', transcriptLines(segments).join('\n') + '\n'],
    ['Markdown', 'md', 'text/markdown', markdown(meetingId, title, segments, summary)],
    ['SRT subtitles', 'srt', 'application/x-subrip', subtitles(segments, 'srt')],
    ['WebVTT subtitles', 'vtt', 'text/vtt', subtitles(segments, 'vtt')],
  ];
  return files.map(([label, extension, type, text]) => ({
    label,
    fileName: `${meetingId}.${extension}`,
    href: URL.createObjectURL(new Blob([text], { type: `${type};charset=utf-8` })),
  }));
}

export function releaseExports(links: readonly ExportLink[]): void {
  for (const link of links) URL.revokeObjectURL(link.href);
}

function markdown(meetingId: string, title: string | null, segments: readonly Segment[], summary: string | null): string {
  const parts = [`# ${title ?? meetingId}`, ''];
  if (summary) parts.push('## Summary', '', summary.trim(), '');
  parts.push('## Transcript', '', ...transcriptLines(segments).map((line) => `- ${line}`), '');
  return parts.join('\n');
}
