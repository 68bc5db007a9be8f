import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { transcriptStamp, type MeetingEntry, type MeetingRecord } from '../../../src/protocol/meeting.js';
import { FINAL_PASS_NOTE } from '../../../src/cli/meeting.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { RUN_JS } from '../../helpers/paths.js';
import { engineMissing } from '../../daemon/voice/recordings.js';
import { meetingPcm, meetingWav, stateRootWithStories } from '../../daemon/meetings/support.js';
import { readJsonLines } from '../../helpers/journal.js';
import { waitFor } from '../../helpers/wait.js';

/** `car meeting start|stop|ls|show` against a real daemon process. */
describe('car meeting', { skip: engineMissing }, () => {
  let daemon: DaemonProcess;

  before(async () => {
    daemon = await startDaemon({ stateRoot: stateRootWithStories() });
  });
  after(() => daemon.stop());

  it('Ctrl-C in `car meeting start` stops the meeting cleanly, summarises it and says where the files are', async () => {
    const child = spawn(process.execPath, [RUN_JS, 'meeting', 'start', '--title', 'standup'], { env: daemon.env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    // The pipe stays open, as with a live microphone: only Ctrl-C ends this meeting.
    child.stdin.on('error', () => undefined);
    child.stdin.write(meetingPcm(3));
    await waitFor(() => /^\[\d\d:\d\d\] \S/m.test(stdout), `a transcript line (stderr: ${stderr})`, 60_000);
    child.kill('SIGINT');
    const [code] = await once(child, 'exit');
    assert.equal(code, 0, stderr);

    const path = /^transcript {2}(\/\S+)\/transcript\.md$/m.exec(stdout)?.[1];
    assert.ok(path, stdout);
    assert.match(stdout, new RegExp(`^summary {5}${path}/summary\\.md$`, 'm'));
    const metadata = JSON.parse(readFileSync(join(path, 'meeting.json'), 'utf8')) as MeetingRecord;
    assert.equal(metadata.status, 'stopped');
    assert.equal(metadata.stop_reason, 'requested');
    assert.equal(metadata.title, 'standup');
    assert.ok(metadata.summary && metadata.summary.length > 0);
    assert.ok(readJsonLines(join(path, 'transcript.jsonl')).length >= 1);
    assert.match(stdout, new RegExp(`^meeting ${metadata.id} stopped: ${metadata.segment_count} segments?, \\d\\d:\\d\\d$`, 'm'));
  });

  it('records a WAV file given as the argument, then lists, shows and finds it in the meetings namespace', async () => {
    const recorded = await runCli(['meeting', 'start', meetingWav(), '--id', 'from-cli', '--title', 'review', '--no-summary'], daemon.env);
    assert.equal(recorded.code, 0, recorded.stderr);
    assert.match(recorded.stdout, /^\[00:00\] go forward ten meters$/m);
    // The audio's length, though the CLI pushes the file far faster than real time.
    const audioStamp = transcriptStamp(Math.round((meetingPcm().length / 32000) * 1000));
    assert.match(recorded.stdout, new RegExp(`^meeting from-cli stopped: [3-9] segments, ${audioStamp}\n${FINAL_PASS_NOTE}$`, 'm'));
    assert.match(recorded.stdout, /^summary {5}none$/m);

    const listed = await runCli(['meeting', 'ls', '--json'], daemon.env);
    const { meetings } = JSON.parse(listed.stdout) as { meetings: MeetingEntry[] };
    assert.equal(meetings[0]!.id, 'from-cli');
    const table = await runCli(['meeting', 'list'], daemon.env);
    assert.match(table.stdout, /^ID +TITLE +STATUS +STARTED +DURATION +SEGMENTS +SUMMARY$/m);
    assert.match(table.stdout, /^from-cli +review +stopped +\d+s ago +\d\d:\d\d +\d +-$/m);

    const shown = await runCli(['meeting', 'show', 'from-cli'], daemon.env);
    assert.equal(shown.code, 0, shown.stderr);
    // The file ended the meeting (`meeting start <file>` stops it when the audio runs out), not a request.
    assert.match(shown.stdout, /^status +stopped \(end of the audio\)$/m);
    assert.match(shown.stdout, /^ {2}\[00:00\] go forward ten meters$/m);
    const json = JSON.parse((await runCli(['meeting', 'show', 'from-cli', '--json'], daemon.env)).stdout) as MeetingRecord;
    assert.equal(json.stop_reason, 'end_of_file');
    assert.equal(json.transcript[0]!.text, 'go forward ten meters');

    const found = await runCli(['memory', 'query', 'forward meters', '--namespace', 'meetings', '--json'], daemon.env);
    assert.ok(
      (JSON.parse(found.stdout) as { id: string }[]).some((hit) => hit.id === 'mtg-from-cli-0'),
      found.stdout,
    );
  });

  it("`car meeting stop` stops another connection's meeting with the host token; a second stop fails clearly", async () => {
    const owner = await daemon.connect();
    const started = await owner.call('meeting.start', { id: 'stopped-from-cli' });
    const stopped = await runCli(['meeting', 'stop', started.id, '--no-summary'], daemon.env);
    assert.equal(stopped.code, 0, stopped.stderr);
    assert.match(stopped.stdout, new RegExp(`^transcript  ${started.path}/transcript\\.md$`, 'm'));
    const again = await runCli(['meeting', 'stop', started.id], daemon.env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /^Error: meeting 'stopped-from-cli' is already stopped; there is nothing to stop \(read it with `car meeting show`\)$/m);
    const verbose = await runCli(['meeting', 'stop', started.id, '--verbose'], daemon.env);
    assert.match(
      verbose.stderr,
      /^Error: meeting 'stopped-from-cli' is already stopped; there is nothing to stop \(read it with meeting\.get\) \(code -32011\)$/m,
    );
    const unknown = await runCli(['meeting', 'show', 'no-such-meeting'], daemon.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^Error: unknown meeting 'no-such-meeting'; list meetings with `car meeting ls`$/m);
    const unknownJson = await runCli(['meeting', 'show', 'no-such-meeting', '--json'], daemon.env);
    assert.match(
      unknownJson.stderr,
      /^Error: unknown meeting 'no-such-meeting'; list meetings with meeting\.list \(code -32010\)$/m,
      "under --json, the daemon's own words",
    );
    const missing = await runCli(['meeting', 'start', '--file', '/nonexistent/meeting.wav'], daemon.env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /cannot read '\/nonexistent\/meeting\.wav'/);
    const missingArgument = await runCli(['meeting', 'start', '/nonexistent/meeting.wav'], daemon.env);
    assert.equal(missingArgument.code, 1, 'the argument is a file, not a command name');
    assert.match(missingArgument.stderr, /cannot read '\/nonexistent\/meeting\.wav'/);
    const emptyStdin = await runCli(['meeting', 'start', '-'], daemon.env, Buffer.alloc(0));
    assert.equal(emptyStdin.code, 1);
    assert.match(emptyStdin.stderr, /^Error: 'stdin' is empty; there is no audio to transcribe$/m);
    owner.close();
  });

  it('`car meeting stop` from another terminal ends `car meeting start` cleanly, honouring its --no-summary', async () => {
    const recorder = spawn(process.execPath, [RUN_JS, 'meeting', 'start', '--id', 'stopped-elsewhere', '--no-summary'], {
      env: daemon.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    recorder.stdout!.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    let stderr = '';
    recorder.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    recorder.stdin!.on('error', () => undefined);
    const exited = once(recorder, 'exit');
    // A pipe that stays open, as from a microphone: the recorder would read it forever.
    recorder.stdin!.write(meetingPcm());
    const client = await daemon.connect();
    await waitFor(async () => (await client.call('meeting.list', {})).meetings.some((meeting) => meeting.id === 'stopped-elsewhere'), 'the meeting to start');
    const stopped = await runCli(['meeting', 'stop', 'stopped-elsewhere'], daemon.env);
    assert.equal(stopped.code, 0, stopped.stderr);
    const [code] = await exited;
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^transcript  .*\/stopped-elsewhere\/transcript\.md$/m);
    assert.match(stdout, /^summary {5}none$/m, 'the --no-summary of the start is honoured');
    assert.equal((await client.call('meeting.get', { meeting_id: 'stopped-elsewhere' })).summary, null);
    recorder.stdin!.destroy();
    client.close();
  });
});
