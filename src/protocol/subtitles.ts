import type { TranscriptSegment } from './meeting.js';

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

/** One cue per segment with text; a cue ends at least a millisecond after it starts, as players require. */
export function subtitles(segments: readonly Pick<TranscriptSegment, 'start_ms' | 'end_ms' | 'text'>[], format: SubtitleFormat): string {
  const cues = segments
    .filter((segment) => /\S/.test(segment.text))
    .map((segment, index) => {
      const start = playable(segment.start_ms);
      const end = Math.max(playable(segment.end_ms), start + 1);
      return `${format === 'srt' ? `${index + 1}\n` : ''}${subtitleStamp(start, format)} --> ${subtitleStamp(end, format)}\n${segment.text}\n`;
    });
  return format === 'srt' ? cues.join('\n') : `WEBVTT\n\n${cues.join('\n')}`;
}
