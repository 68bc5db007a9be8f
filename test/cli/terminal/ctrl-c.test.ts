import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { MeetingMetadata } from '../../../src/protocol/meeting.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { waitFor } from '../../helpers/wait.js';
import { CTRL_C, plainText, runInTerminal, type TerminalRun } from '../../helpers/terminal.js';
import { engineMissing } from '../../daemon/voice/recordings.js';
import { meetingPcm, meetingWav, stateRootWithStories } from '../../daemon/meetings/support.js';

/** Long enough that only Ctrl-C can have ended a command before it. */
const LONG_MEETING_REPEATS = 12;
const LONG_AUDIO_MS = Math.round((meetingPcm(LONG_MEETING_REPEATS).length / 32_000) * 1000);
/** Far below every long command's natural end: a command still running then did not stop on Ctrl-C. */
const STOPS_WITHIN_MS = 30_000;

/** Waits for the exit that Ctrl-C must cause; a command that ignores the key runs into the bound. */
async function exitAfterCtrlC(terminal: TerminalRun): Promise<number | null> {
  const pressedAt = Date.now();
  terminal.press(CTRL_C);
  const bound = new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), STOPS_WITHIN_MS).unref());
  const outcome = await Promise.race([terminal.exited, bound]);
  assert.notEqual(outcome, 'still running', `Ctrl-C did not end the command: ${plainText(terminal.screen()).slice(-600)}`);
  process.stderr.write(`# stopped ${Date.now() - pressedAt} ms after Ctrl-C\n`);
  return outcome as number | null;
}

/** Ctrl-C typed at a real terminal (a pty), with spinners drawing: every long command stops cleanly. */
describe('Ctrl-C at a terminal', { skip: engineMissing }, () => {
  let daemon: DaemonProcess;
  const scratch = tempStateRoot('car-ctrl-c-');

  before(async () => {
    daemon = await startDaemon({ stateRoot: stateRootWithStories() });
  });
  after(() => daemon.stop());

  it('stops `car meeting start <file>` and prints the last segment, the id and the paths', async () => {
    const terminal = runInTerminal(`car meeting start ${meetingWav(LONG_MEETING_REPEATS)} --no-summary`, daemon.env);
    await terminal.waitFor(/\[00:0\d\] go forward ten meters/);
    assert.equal(await exitAfterCtrlC(terminal), 0);
    const screen = plainText(terminal.screen());
    const path = /^transcript {2}(\/\S+)\/transcript\.md$/m.exec(screen)?.[1];
    assert.ok(path, screen.slice(-600));
    const metadata = JSON.parse(readFileSync(join(path, 'meeting.json'), 'utf8')) as MeetingMetadata;
    assert.match(screen, new RegExp(`^meeting ${metadata.id} stopped: ${metadata.segment_count} segments?, \\d\\d:\\d\\d$`, 'm'));
    assert.ok(metadata.duration_ms! < LONG_AUDIO_MS, `stopped early: ${metadata.duration_ms} of ${LONG_AUDIO_MS} ms`);
    const lastLine = readFileSync(join(path, 'transcript.md'), 'utf8').trim().split('\n').at(-1)!;
    assert.ok(screen.includes(lastLine), `the last segment '${lastLine}' is on the screen`);
    // The live timer keeps the stamps' clock (audio time; the file is sent faster than real time), never behind a stamp it printed.
    const seconds = (stamp: string) => stamp.split(':').reduce((total, part) => total * 60 + Number(part), 0);
    // Finals decoded as the meeting stops are printed under the `stopping` label, which shows the same timer.
    const timer = [...screen.matchAll(/(?:recording \S+|stopping) (\d\d:\d\d)/g)].at(-1)![1]!;
    const lastStamp = [...screen.matchAll(/^\[(\d\d:\d\d)\]/gm)].at(-1)![1]!;
    assert.ok(seconds(timer) >= seconds(lastStamp), `timer ${timer} is not behind the stamp [${lastStamp}]`);
  });

  it('stops a piped live `car meeting start -` and prints the id and the paths', async () => {
    const raw = join(scratch, 'live.raw');
    writeFileSync(raw, meetingPcm(1));
    // A producer that keeps the pipe open, as a microphone does; Ctrl-C reaches it too.
    const terminal = runInTerminal(`(cat ${raw}; sleep 300) | car meeting start - --no-summary`, daemon.env);
    await terminal.waitFor(/\[00:0\d\] go forward ten meters/);
    assert.equal(await exitAfterCtrlC(terminal), 0);
    const screen = plainText(terminal.screen());
    assert.match(screen, /^meeting mtg-\S+ stopped: \d+ segments?, \d\d:\d\d$/m);
    assert.match(screen, /^transcript {2}\/\S+\/transcript\.md$/m);
    assert.match(screen, /^summary {5}none$/m);
  });

  it('stops `car infer` while the spinner turns: the call is cancelled and the status is 130', async () => {
    const terminal = runInTerminal('car infer "Once upon a time" -m stories260K --max-tokens 8192', daemon.env);
    await terminal.waitFor(/generating/);
    assert.equal(await exitAfterCtrlC(terminal), 130);
    assert.match(plainText(terminal.screen()), /^interrupted$/m);
    const client = await daemon.connect();
    // The daemon let go of the generation (it would hold its permit for the ~50 s it takes).
    await waitFor(
      async () => (await client.call('admission.status', {})).permits_in_use === 0,
      'the cancelled generation to release its admission permit',
      10_000,
    );
    client.close();
  });

  it('stops `car infer --stream`, keeping the text so far', async () => {
    const terminal = runInTerminal('car infer "Once upon a time" -m stories260K --max-tokens 8192 --stream', daemon.env);
    await terminal.waitFor(/Lily/);
    assert.equal(await exitAfterCtrlC(terminal), 0);
    assert.match(plainText(terminal.screen()), /^\[cancelled\]$/m);
  });

  it('stops live dictation (`car voice transcribe - --stream` from a pipe), keeping what was heard', async () => {
    const raw = join(scratch, 'dictation.raw');
    writeFileSync(raw, meetingPcm(1));
    const terminal = runInTerminal(`(cat ${raw}; sleep 300) | car voice transcribe - --stream`, daemon.env);
    await terminal.waitFor(/go forward ten meters\r?\n/);
    assert.equal(await exitAfterCtrlC(terminal), 0);
    assert.match(plainText(terminal.screen()), /^go forward ten meters$/m);
  });
});
