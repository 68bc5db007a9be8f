import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { wavHeader } from '../../../src/audio/wav.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { VoiceProviderInfo, VoiceSessionEntry } from '../../../src/protocol/voice.js';
import { runCli } from '../../helpers/cli.js';
import { startDaemon, type DaemonProcess } from '../../helpers/daemon.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { GO_FORWARD_WORDS, TESTDATA, engineMissing, goForward } from '../../daemon/voice/recordings.js';
import { changeRate, textWords, toStereo } from '../../daemon/voice/support.js';
import { rejectsWith } from '../../helpers/rpc.js';

const GO_FORWARD_RAW = join(TESTDATA, 'goforward.raw');
const heardGoForward = (text: string) => GO_FORWARD_WORDS.filter((word) => textWords(text).includes(word)).length >= 3;

describe('car voice (CLI against a real daemon)', () => {
  let daemon: DaemonProcess;
  const scratch = tempStateRoot('car-voice-cli-');

  before(async () => {
    daemon = await startDaemon();
  });
  after(() => daemon.stop());

  it('transcribes a .raw file and prints the transcript', { skip: engineMissing }, async () => {
    const result = await runCli(['voice', 'transcribe', GO_FORWARD_RAW], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    assert.ok(heardGoForward(result.stdout), result.stdout);
  });

  it('--json prints one event per line, then the result, for a 44.1 kHz stereo WAV', { skip: engineMissing }, async () => {
    const pcm = toStereo(changeRate(goForward(), 44100), 0.8);
    const file = join(scratch, 'goforward-44k-stereo.wav');
    writeFileSync(file, Buffer.concat([wavHeader(44100, 2, pcm.length), pcm]));
    const result = await runCli(['voice', 'transcribe', file, '--json'], daemon.env);
    assert.equal(result.code, 0, result.stderr);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { type: string; text?: string });
    const final = lines.at(-1)!;
    assert.equal(final.type, 'result');
    assert.ok(heardGoForward(final.text!), final.text);
    const types = lines.slice(0, -1).map((line) => line.type);
    assert.equal(types[0], 'speech_start');
    assert.ok(types.indexOf('partial') < types.indexOf('transcript'), types.join(','));
  });

  it('--stream reads raw PCM from stdin at real-time pace and prints each final as a line', { skip: engineMissing }, async () => {
    const startedAt = Date.now();
    const result = await runCli(['voice', 'transcribe', '-', '--stream'], daemon.env, goForward());
    assert.equal(result.code, 0, result.stderr);
    assert.ok(Date.now() - startedAt >= 2500, 'paced: 2.8 s of audio cannot be sent in less than 2.5 s');
    const lines = result.stdout.trim().split('\n');
    assert.ok(lines.some(heardGoForward), result.stdout);
    assert.doesNotMatch(result.stdout, /\x1b/, 'no terminal control codes when stdout is not a TTY');
  });

  it('refuses an MP3 named .wav, a non-WAV file and a missing file with a cause and a hint', async () => {
    const mp3 = join(scratch, 'song.wav');
    writeFileSync(mp3, Buffer.concat([Buffer.from('ID3\x04\x00\x00\x00\x00\x00\x00'), Buffer.alloc(500, 0x55)]));
    const text = join(scratch, 'notes.txt');
    writeFileSync(text, 'hello, these are not samples\n');
    for (const [file, message] of [
      [mp3, /is not a WAV file: it looks like MP3; convert it first/],
      [text, /notes\.txt' is text, not audio/],
      [join(scratch, 'missing.wav'), /cannot read .*missing\.wav.*ENOENT/],
    ] as const) {
      const result = await runCli(['voice', 'transcribe', file], daemon.env);
      assert.equal(result.code, 1, `${file}: ${result.stderr}`);
      assert.match(result.stderr, message);
      assert.match(result.stderr, /^Hint: /m);
    }
    // Raw audio on stdin has no header to check; text piped in by mistake is refused, not transcribed into nothing (issue 27).
    for (const command of [
      ['voice', 'transcribe', '-'],
      ['meeting', 'start', '-'],
    ]) {
      const piped = await runCli(command, daemon.env, 'hello, this is text\n');
      assert.equal(piped.code, 1, piped.stderr);
      assert.match(piped.stderr, /^Error: 'stdin' is text, not audio\nHint: /);
    }
  });

  it('voice providers and voice sessions list as tables and as JSON', async () => {
    const providers = JSON.parse((await runCli(['voice', 'providers', '--json'], daemon.env)).stdout) as VoiceProviderInfo[];
    assert.deepEqual(
      providers.map((provider) => [provider.id, provider.kind, provider.available]),
      [
        ['local', 'stt', engineMissing === false],
        // The shared models directory holds whisper.cpp's test model and the Silero VAD: loadable, so available (never the default).
        ['whisper', 'stt', true],
      ],
    );
    // It loads, but a weightless model transcribes nothing: the listing says so rather than "yes" (issue 27).
    assert.match(providers[1]!.warning!, /^for-tests-ggml-tiny\.en\.bin has no real weights \(whisper\.cpp's test model\): it loads, but transcribes nothing$/);
    assert.match(
      (await runCli(['voice', 'providers'], daemon.env)).stdout,
      /^ID\s+KIND\s+AVAILABLE\s+DESCRIPTION\nlocal\s+stt\s+(yes|no)\s+CMU PocketSphinx.*\nwhisper\s+stt\s+loads, cannot transcribe\s+whisper\.cpp.*; for-tests-ggml-tiny\.en\.bin has no real weights/s,
    );

    if (engineMissing) return;
    assert.equal((await runCli(['voice', 'sessions'], daemon.env)).stdout, 'no live voice sessions (start one with `car voice transcribe`)\n');
    const client = await daemon.connect();
    try {
      const started = await client.call('voice.transcribe_stream.start', { audio_source: { kind: 'pcm_push', sample_rate: 48000, channels: 2 } });
      await client.call('voice.transcribe_stream.push', { session_id: started.session_id, pcm_b64: Buffer.alloc(19200).toString('base64') });
      const listed = JSON.parse((await runCli(['voice', 'sessions', '--json'], daemon.env)).stdout) as VoiceSessionEntry[];
      assert.equal(listed.length, 1);
      assert.equal(listed[0]!.session_id, started.session_id);
      assert.equal(listed[0]!.is_mine, false);
      assert.equal(listed[0]!.bytes_received, 19200);
      const table = (await runCli(['voice', 'sessions'], daemon.env)).stdout;
      assert.match(table, new RegExp(`^${started.session_id}\\s+running\\s+local\\s+48 kHz stereo\\s+0\\.1 s`, 'm'));
    } finally {
      await client.closeAndWait();
    }
  });
});

describe('without the speech engine (CAR_SPHINX_MODEL_DIR points nowhere)', () => {
  let daemon: DaemonProcess;

  before(async () => {
    daemon = await startDaemon({ env: { CAR_SPHINX_MODEL_DIR: '/nonexistent/pocketsphinx-model' } });
  });
  after(() => daemon.stop());

  it('starts, says why local is unavailable, and refuses sessions with -32014 and the install hint', async () => {
    const client = await daemon.connect();
    try {
      const [local] = await client.call('voice.providers.list', {});
      assert.equal(local!.available, false);
      if (engineMissing === false) {
        assert.match(local!.reason!, /^the PocketSphinx model is missing \(\/nonexistent\/pocketsphinx-model\/en-us\/mdef, /);
        assert.match(local!.hint!, /^install it with apt-get install pocketsphinx-en-us, or point CAR_SPHINX_MODEL_DIR at/);
      }
      assert.match(local!.hint!, /apt-get install/);
      const error = await rejectsWith(
        client.call('voice.transcribe_stream.start', {}),
        ErrorCode.Unavailable,
        /^speech provider 'local' is unavailable: .*apt-get install/,
      );
      assert.equal(error.message, `speech provider 'local' is unavailable: ${local!.reason}; ${local!.hint}`);
      assert.equal(error.data?.kind, 'unavailable');
      assert.equal(error.data?.hint, local!.hint);
      assert.deepEqual(await client.call('voice.sessions.list', {}), []);

      const cli = await runCli(['voice', 'transcribe', GO_FORWARD_RAW], daemon.env);
      assert.equal(cli.code, 1);
      assert.match(cli.stderr, /^Error: speech provider 'local' is unavailable: .*apt-get install[^\n]*\nHint: .*apt-get install/);
      assert.doesNotMatch(cli.stderr, /code -32014/, 'codes only with --verbose or --json');
    } finally {
      await client.closeAndWait();
    }
  });
});
