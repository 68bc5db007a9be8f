import { speakerPrefix, type TranscriptSegment } from './meeting.js';
import { UNLABELLED_ROLE } from './voice.js';

/** SubRip and WebVTT from transcript segments, shared by `car meeting export` and the browser UI's downloads. */

export type SubtitleFormat = 'srt' | 'vtt';

/**
 * A time as a whole number of milliseconds a player can read: one that is not a finite,
 * non-negative number (a corrupt transcript line) becomes 0, never NaN.
 */
const playable = (ms: number): number => (Number.isFinite(ms) && ms > 0 ? Math.min(Math.round(ms), Number.MAX_SAFE_INTEGER) : 0);

/** `hh:mm:ss,mmm` (SubRip) or `hh:mm:ss.mmm` (WebVTT); hours widen past 99. */
export function subtitleStamp(ms: number, format: SubtitleFormat): string {
  const whole = playable(ms);
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(whole / 3_600_000))}:${pad(Math.floor(whole / 60_000) % 60)}:${pad(Math.floor(whole / 1000) % 60)}${format === 'srt' ? ',' : '.'}${pad(whole % 1000, 3)}`;
}

/** A segment as subtitles need it: its role, when known, names the speaker. */
export type SubtitleSegment = Pick<TranscriptSegment, 'start_ms' | 'end_ms' | 'text'> & { role?: string };

/**
 * One cue per segment with text; a cue ends at least a millisecond after it starts, as players
 * require. Who speaks: `role: ` before a SubRip cue's text, a WebVTT voice span (`<v role>`).
 */
export function subtitles(segments: readonly SubtitleSegment[], format: SubtitleFormat): string {
  const cues = segments
    .filter((segment) => /\S/.test(segment.text))
    .map((segment, index) => {
      const start = playable(segment.start_ms);
      const end = Math.max(playable(segment.end_ms), start + 1);
      const text = format === 'srt' ? `${speakerPrefix(segment.role)}${segment.text}` : vttText(segment);
      return `${format === 'srt' ? `${index + 1}\n` : ''}${subtitleStamp(start, format)} --> ${subtitleStamp(end, format)}\n${text}\n`;
    });
  return format === 'srt' ? cues.join('\n') : `WEBVTT\n\n${cues.join('\n')}`;
}

/** A WebVTT cue's text, escaped as WebVTT requires; a voice span names the speaker when there is one. */
function vttText(segment: SubtitleSegment): string {
  const text = segment.text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return segment.role && segment.role !== UNLABELLED_ROLE ? `<v ${segment.role.replace(/[&<>]/g, '')}>${text}` : text;
}
