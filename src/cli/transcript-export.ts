import { stringifySync } from 'subtitle';
import { speakerPrefix, transcriptLines, type MeetingTranscriptResult, type TranscriptSegment } from '../protocol/meeting.js';
import { UNLABELLED_ROLE } from '../protocol/voice.js';

export const EXPORT_FORMATS = ['md', 'txt', 'srt', 'vtt', 'json'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

/** `car meeting export`: a transcript as Markdown, plain text, SubRip, WebVTT or JSON, with times from the segments and who spoke (`role: `, WebVTT's `<v role>`). */
export function exportTranscript(transcript: MeetingTranscriptResult, format: ExportFormat): string {
  const segments = transcript.segments.filter((segment) => /\S/.test(segment.text));
  switch (format) {
    case 'json':
      return JSON.stringify(transcript, null, 2) + '\n';
    case 'txt':
      return transcriptLines(segments).join('\n') + '\n';
    case 'md':
      return `# ${transcript.title ?? transcript.id}\n\n${transcriptLines(segments).join('\n\n')}\n`;
    case 'srt':
    case 'vtt':
      return stringifySync(
        segments.map((segment) => ({ type: 'cue' as const, data: { start: segment.start_ms, end: Math.max(segment.end_ms, segment.start_ms + 1), text: format === 'srt' ? `${speakerPrefix(segment.role)}${segment.text}` : vttText(segment) } })),
        { format: format === 'srt' ? 'SRT' : 'WebVTT' },
      );
  }
}

/** A WebVTT cue's text: a voice span names the speaker when there is one. */
function vttText(segment: TranscriptSegment): string {
  const text = segment.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return segment.role && segment.role !== UNLABELLED_ROLE ? `<v ${segment.role.replace(/[&<>]/g, '')}>${text}` : text;
}
