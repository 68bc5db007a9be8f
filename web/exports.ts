import { transcriptLines, type TranscriptLine } from '../src/protocol/meeting.js';

export interface ExportLink {
  label: string;
  fileName: string;
  href: string;
}

type Segment = Pick<TranscriptLine, 'start_ms' | 'end_ms' | 'text'>;

/** Download links built in the page from the transcript it already holds (blob: URLs; nothing is fetched). */
export function transcriptExports(meetingId: string, title: string | null, segments: readonly Segment[], summary: string | null): ExportLink[] {
  const files: [string, string, string, string][] = [
    ['Text', 'txt', 'text/plain', transcriptLines(segments).join('\n') + '\n'],
    ['Markdown', 'md', 'text/markdown', markdown(meetingId, title, segments, summary)],
    ['SRT subtitles', 'srt', 'application/x-subrip', srt(segments)],
    ['WebVTT subtitles', 'vtt', 'text/vtt', vtt(segments)],
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

function srt(segments: readonly Segment[]): string {
  return segments.map((segment, index) => `${index + 1}\n${stamp(segment.start_ms, ',')} --> ${stamp(segment.end_ms, ',')}\n${segment.text}\n`).join('\n');
}

function vtt(segments: readonly Segment[]): string {
  return `WEBVTT\n\n${segments.map((segment) => `${stamp(segment.start_ms, '.')} --> ${stamp(segment.end_ms, '.')}\n${segment.text}\n`).join('\n')}`;
}

/** `hh:mm:ss,mmm` (SRT) or `hh:mm:ss.mmm` (WebVTT). */
function stamp(ms: number, separator: ',' | '.'): string {
  const whole = Math.max(0, Math.round(ms));
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(whole / 3_600_000))}:${pad(Math.floor(whole / 60_000) % 60)}:${pad(Math.floor(whole / 1000) % 60)}${separator}${pad(whole % 1000, 3)}`;
}
