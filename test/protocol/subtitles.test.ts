import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSync, type NodeCue } from 'subtitle';
import { exportTranscript } from '../../src/client/transcript-export.js';
import type { MeetingTranscriptResult } from '../../src/protocol/meeting.js';
import { subtitles } from '../../src/protocol/subtitles.js';

const transcript = (segments: { start_ms: number; end_ms: number; text: string }[], summary: string | null = null): MeetingTranscriptResult => ({
  id: 'm',
  title: 'review',
  started_at: null,
  summary,
  segments: segments.map((segment, index) => ({ index, role: 'unknown', ...segment })),
});

/** SubRip and WebVTT for `car meeting export` and the browser UI (src/protocol/subtitles.ts). */
describe('subtitle exports', () => {
  it('never write NaN: a time out of range (negative, huge, not a number) becomes a time players read (issue 26, item 8)', () => {
    const odd = [-5, 1e300, 2 ** 53, Number.NaN, Number.POSITIVE_INFINITY].map((ms, i) => ({ start_ms: ms, end_ms: ms, text: `odd ${i}` }));
    for (const format of ['srt', 'vtt'] as const) {
      for (const text of [subtitles(odd, format), exportTranscript(transcript(odd), format)]) {
        assert.doesNotMatch(text, /NaN|e\+|-\d/, text);
        for (const line of text.split('\n').filter((row) => row.includes('-->')))
          assert.match(line, /^\d{2,}:\d\d:\d\d[,.]\d{3} --> \d{2,}:\d\d:\d\d[,.]\d{3}$/);
      }
    }
    assert.match(exportTranscript(transcript(odd), 'txt'), /^\[00:00\] odd 3$/m);
  });

  it('round-trips through a SubRip/WebVTT parser, also past 24 hours, and a cue never ends before it starts', () => {
    const segments = [
      { start_ms: 0, end_ms: 2500, text: 'go forward ten meters' },
      { start_ms: 3000, end_ms: 3000, text: 'an instant' },
      { start_ms: 90_061_001, end_ms: 90_062_000, text: 'a day later' },
    ];
    for (const format of ['srt', 'vtt'] as const) {
      const cues = parseSync(subtitles(segments, format))
        .filter((node): node is NodeCue => node.type === 'cue')
        .map(({ data }) => data);
      assert.deepEqual(
        cues.map(({ start, end, text }) => ({ start, end, text })),
        [
          { start: 0, end: 2500, text: 'go forward ten meters' },
          { start: 3000, end: 3001, text: 'an instant' },
          { start: 90_061_001, end: 90_062_000, text: 'a day later' },
        ],
      );
    }
    assert.match(subtitles(segments, 'srt'), /^3\n25:01:01,001 --> 25:01:02,000\na day later\n$/m);
  });

  it('leads the Markdown export with the summary, its headings under its own', () => {
    const md = exportTranscript(
      transcript([{ start_ms: 65_000, end_ms: 66_000, text: 'we ship on Friday' }], '## Key points\n\n- [01:05] we ship on Friday'),
      'md',
    );
    assert.equal(md, '# review\n\n## Summary\n\n### Key points\n\n- [01:05] we ship on Friday\n\n## Transcript\n\n[01:05] we ship on Friday\n');
    assert.doesNotMatch(exportTranscript(transcript([{ start_ms: 0, end_ms: 1, text: 'hello' }]), 'md'), /Summary/);
  });
});
