import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseSync, type NodeCue } from 'subtitle';
import { transcriptStamp as stamp, type MeetingTranscriptResult, type TranscriptSegment } from '../../../src/protocol/meeting.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { engineMissing } from '../../daemon/voice/recordings.js';
import { meetingWav, stateRootWithStories } from '../../daemon/meetings/support.js';

const cuesOf = (text: string) =>
  parseSync(text)
    .filter((node): node is NodeCue => node.type === 'cue')
    .map(({ data }) => data);

/** `car meeting export` of a meeting recorded from pocketsphinx-testdata, parsed back with the `subtitle` library. */
describe('car meeting export', { skip: engineMissing }, () => {
  let daemon: DaemonProcess;
  let segments: TranscriptSegment[];

  before(async () => {
    daemon = await startDaemon({ stateRoot: stateRootWithStories() });
    const recorded = await runCli(['meeting', 'start', meetingWav(), '--id', 'exported', '--title', 'export review', '--no-summary'], daemon.env);
    assert.equal(recorded.code, 0, recorded.stderr);
    const client = await daemon.connect();
    segments = (await client.call('meeting.transcript', { id: 'exported' })).segments.filter((segment) => /\S/.test(segment.text));
    client.close();
    assert.ok(segments.length >= 3, 'several utterances were transcribed');
  });
  after(() => daemon.stop());

  for (const format of ['srt', 'vtt'] as const) {
    it(`--format ${format} round-trips: one cue per segment with its text, start_ms and end_ms`, async () => {
      const exported = await runCli(['meeting', 'export', 'exported', '--format', format], daemon.env);
      assert.equal(exported.code, 0, exported.stderr);
      if (format === 'vtt') assert.match(exported.stdout, /^WEBVTT\n/);
      else assert.match(exported.stdout, /^1\n\d\d:\d\d:\d\d,\d{3} --> \d\d:\d\d:\d\d,\d{3}\n/);
      const cues = cuesOf(exported.stdout);
      assert.equal(cues.length, segments.length);
      assert.deepEqual(
        cues.map(({ start, end, text }) => ({ start, end, text })),
        segments.map(({ start_ms, end_ms, text }) => ({ start: start_ms, end: end_ms, text })),
      );
    });
  }

  it('-o writes the file; md, txt and json carry the same segments with their stamps', async () => {
    const file = join(tempStateRoot('car-export-'), 'meeting.srt');
    const written = await runCli(['meeting', 'export', 'exported', '--format', 'srt', '-o', file], daemon.env);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(written.stdout, '');
    assert.equal(written.stderr, `wrote ${segments.length} segments to ${file}\n`);
    assert.equal(cuesOf(readFileSync(file, 'utf8')).length, segments.length);

    const txt = await runCli(['meeting', 'export', 'exported', '--format', 'txt'], daemon.env);
    assert.equal(txt.stdout, segments.map((segment) => `[${stamp(segment.start_ms)}] ${segment.text}\n`).join(''));
    const md = await runCli(['meeting', 'export', 'exported'], daemon.env);
    assert.match(md.stdout, /^# export review\n\n/);
    for (const segment of segments) assert.ok(md.stdout.includes(`[${stamp(segment.start_ms)}] ${segment.text}`), md.stdout);
    const json = JSON.parse((await runCli(['meeting', 'export', 'exported', '--format', 'json'], daemon.env)).stdout) as MeetingTranscriptResult;
    assert.equal(json.id, 'exported');
    assert.deepEqual(
      json.segments.filter((segment) => /\S/.test(segment.text)),
      segments,
    );

    const bad = await runCli(['meeting', 'export', 'exported', '--format', 'docx'], daemon.env);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /md, txt, srt, vtt, json/);
    const unknown = await runCli(['meeting', 'export', 'no-such-meeting', '--format', 'srt'], daemon.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown meeting 'no-such-meeting'/);
  });
});
