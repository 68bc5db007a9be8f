import assert from 'node:assert/strict';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { engineMissing } from '../voice/recordings.js';

/** Issue 12, defects 5 and 6: listing is read-only, confined to the state root, and never fails for another meeting's files. */
describe('meeting.list hardening', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  let stoppedMeeting: string;
  const foreignRoot = tempStateRoot('car-foreign-');

  before(async () => {
    daemon = await startInProcess();
    client = await daemon.connect();
    const started = await client.call('meeting.start', { id: 'template' });
    await client.call('meeting.stop', { meeting_id: started.id, summarize: false });
    stoppedMeeting = started.path;
  });
  after(async () => {
    client.close();
    await daemon.close();
    rmSync(foreignRoot, { recursive: true, force: true });
  });

  /** A copy of a real meeting whose meeting.json says `recording`, as another daemon's live meeting looks. */
  function recordingMeetingAt(root: string, id: string): string {
    const dir = join(root, id);
    mkdirSync(root, { recursive: true });
    cpSync(stoppedMeeting, dir, { recursive: true });
    const metadata = JSON.parse(readFileSync(join(dir, 'meeting.json'), 'utf8'));
    writeFileSync(join(dir, 'meeting.json'), JSON.stringify({ ...metadata, id, status: 'recording', ended_at: null, stop_reason: null }, null, 2));
    return join(dir, 'meeting.json');
  }

  it("refuses a root outside the state root and leaves another daemon's live meeting untouched", async () => {
    const file = recordingMeetingAt(join(foreignRoot, 'meetings'), 'theirs');
    const before = readFileSync(file, 'utf8');
    await rejectsWith(client.call('meeting.list', { root: join(foreignRoot, 'meetings') }), ErrorCode.InvalidParams, /lies outside this daemon's state root/);
    await rejectsWith(client.call('meeting.list', { root: '/' }), ErrorCode.InvalidParams, /lies outside this daemon's state root/);
    await rejectsWith(client.call('meeting.get', { meeting_id: 'theirs', root: join(foreignRoot, 'meetings') }), ErrorCode.InvalidParams, /outside/);
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('lists a stale recording meeting inside the state root as it is, without rewriting it', async () => {
    const root = join(daemon.stateRoot, 'archive');
    const file = recordingMeetingAt(root, 'stale');
    const before = readFileSync(file, 'utf8');
    const { meetings } = await client.call('meeting.list', { root });
    assert.equal(meetings.find((meeting) => meeting.id === 'stale')?.status, 'recording');
    assert.equal((await client.call('meeting.get', { meeting_id: 'stale', root })).status, 'recording');
    assert.equal(readFileSync(file, 'utf8'), before);
  });

  it('never fails while meeting directories and temporary files come and go', async () => {
    const root = join(daemon.stateRoot, 'churn');
    let churning = true;
    const churn = (async () => {
      for (let round = 0; churning && round < 150; round++) {
        recordingMeetingAt(root, `flicker-${round % 3}`);
        writeFileSync(join(root, `flicker-${round % 3}`, `.transcript.md.${round}.tmp`), 'partial');
        await new Promise((resolve) => setImmediate(resolve));
        rmSync(join(root, `flicker-${round % 3}`), { recursive: true, force: true });
      }
    })();
    const failures: string[] = [];
    for (let index = 0; index < 25; index++) {
      await client.call('meeting.list', { root }).catch((error: Error) => failures.push(error.message));
    }
    churning = false;
    await churn;
    assert.deepEqual(failures, []);
  });
});
