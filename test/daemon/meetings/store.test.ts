import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MeetingFiles, TranscriptLog, recordingMetadata } from '../../../src/daemon/meetings/store.js';
import { ErrorCode, RpcError } from '../../../src/protocol/errors.js';
import type { MeetingMetadata } from '../../../src/protocol/meeting.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { modeOf } from './support.js';

const metadata = (files: MeetingFiles) =>
  recordingMetadata(files, { title: null, language: 'en', audio_source_kind: 'pcm_push', persist_audio: false, memory_namespace: null });

/** A meeting on disk (docs/protocol.md#meetings): private modes, atomic metadata, synced lines, torn lines ignored. */
describe('meeting store', () => {
  it('creates private directories and files, and never reuses a directory', async () => {
    const root = join(tempStateRoot(), 'meetings');
    const files = await MeetingFiles.create(root, 'm1');
    assert.equal(modeOf(root), 0o700);
    assert.equal(modeOf(files.dir), 0o700);
    await files.writeMetadata(metadata(files));
    assert.equal(modeOf(files.metadataFile), 0o600);
    assert.deepEqual(readdirSync(files.dir), ['meeting.json'], 'no temp file is left behind');
    await assert.rejects(MeetingFiles.create(root, 'm1'), (error: unknown) => error instanceof RpcError && error.code === ErrorCode.Conflict);
  });

  it('appends transcript lines and reads them back, leaving out a torn last line', async () => {
    const files = await MeetingFiles.create(join(tempStateRoot(), 'meetings'), 'm2');
    const log = await TranscriptLog.open(files.transcriptFile);
    const lines = [0, 1, 2].map((index) => ({
      index,
      text: `segment ${index}`,
      start_ms: index * 1000,
      end_ms: index * 1000 + 500,
      role: 'unknown',
      at: new Date().toISOString(),
    }));
    for (const line of lines) await log.append(line);
    await log.close();
    assert.equal(modeOf(files.transcriptFile), 0o600);
    appendFileSync(files.transcriptFile, '{"index":3,"text":"half a li');
    assert.deepEqual(await files.readTranscript(), lines);
  });

  it('reports a corrupt meeting.json instead of throwing, and takes id and path from the directory', async () => {
    const files = await MeetingFiles.create(join(tempStateRoot(), 'meetings'), 'm3');
    assert.deepEqual(await files.readMetadata(), { error: 'meeting.json is missing' });
    writeFileSync(files.metadataFile, '[1, 2');
    assert.deepEqual(await files.readMetadata(), { error: 'meeting.json is not valid JSON' });
    writeFileSync(files.metadataFile, JSON.stringify({ ...metadata(files), segment_count: -1 }));
    assert.match(((await files.readMetadata()) as { error: string }).error, /^meeting\.json is invalid at 'segment_count'/);
    writeFileSync(files.metadataFile, JSON.stringify({ ...metadata(files), id: 'moved-from', path: '/old/place' }));
    const read = (await files.readMetadata()) as { metadata: MeetingMetadata };
    assert.deepEqual([read.metadata.id, read.metadata.path], ['m3', files.dir]);
    assert.equal(readFileSync(files.metadataFile, 'utf8').includes('moved-from'), true, 'reading never rewrites');
  });
});
