import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { VoiceEvent } from '../../../src/protocol/voice.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { startSoundServer, soundServerMissing, type SoundServerFixture } from '../../helpers/sound-server.js';
import { waitFor } from '../../helpers/wait.js';
import { engineMissing, goForward } from './recordings.js';
import { collectVoiceEvents, eventsOf } from './support.js';

/** `capture` voice sessions and `voice.devices.list` against a private PulseAudio: real sources, real recordings spoken into them. */
describe('voice capture from the sound server', { skip: engineMissing || soundServerMissing }, () => {
  let sound: SoundServerFixture;
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    sound = await startSoundServer();
    daemon = await startInProcess({ soundServer: { pulseServer: sound.pulseServer } });
    client = await daemon.connect();
  });
  after(async () => {
    client?.close();
    await daemon?.close();
    await sound?.stop();
  });

  it('lists the sources with their kind, and marks the default microphone and the default output’s monitor', async () => {
    const devices = await client.call('voice.devices.list', {});
    assert.deepEqual(
      devices.map(({ name, kind, default: isDefault }) => ({ name, kind, default: isDefault })).sort((a, b) => a.name.localeCompare(b.name)),
      [
        { name: 'mic', kind: 'input', default: true },
        { name: 'speakers.monitor', kind: 'monitor', default: true },
      ],
    );
    assert.equal(devices.find((device) => device.name === 'mic')!.description, 'Microphone');
  });

  it('dictates from the default microphone: what is said there arrives as a final with the role mic', async () => {
    const received = collectVoiceEvents(client);
    const info = await client.call('voice.transcribe_stream.start', { audio_source: { kind: 'capture', sources: [{ device: 'mic' }] } });
    assert.deepEqual(info.capture, { name: 'mic', description: 'Microphone', kind: 'input', role: 'mic' });
    assert.equal(info.sample_rate, 16000);
    await sound.say(goForward());
    const final = await waitFor(
      () => eventsOf(received, info.session_id).find((event): event is Extract<VoiceEvent, { type: 'transcript' }> => event.type === 'transcript'),
      'a final from the microphone',
      30_000,
    );
    assert.equal(final.text, 'go forward ten meters');
    assert.equal(final.role, 'mic');
    await rejectsWith(
      client.call('voice.transcribe_stream.push', { session_id: info.session_id, pcm_b64: Buffer.alloc(320).toString('base64') }),
      ErrorCode.Forbidden,
      /records source 'mic' itself; it takes no pushed audio/,
    );
    const stopped = await client.call('voice.transcribe_stream.stop', { session_id: info.session_id });
    assert.equal(stopped.text, 'go forward ten meters');
    assert.ok(stopped.duration_ms > 2000, `recorded ${stopped.duration_ms} ms`);
    assert.deepEqual(await client.call('voice.sessions.list', {}), []);
  });

  it('records a named monitor with its own role, and ends with a fatal error naming it when it vanishes', async () => {
    const headset = await sound.addSink('headset');
    const received = collectVoiceEvents(client);
    const info = await client.call('voice.transcribe_stream.start', {
      audio_source: { kind: 'capture', sources: [{ device: headset.monitor, role: 'them' }] },
    });
    assert.equal(info.capture?.kind, 'monitor');
    await sound.play(goForward(), 'headset');
    const final = await waitFor(() => eventsOf(received, info.session_id).find((event) => event.type === 'transcript'), 'a final from the headset', 30_000);
    assert.deepEqual([final.type === 'transcript' && final.text, final.type === 'transcript' && final.role], ['go forward ten meters', 'them']);
    await headset.remove();
    const fatal = await waitFor(
      () => eventsOf(received, info.session_id).find((event) => event.type === 'error' && event.fatal),
      'the lost source to end the session',
    );
    assert.match(
      fatal.type === 'error' ? fatal.message : '',
      /^source 'headset\.monitor' was removed from the sound server; the session stopped with what was heard/,
    );
    await waitFor(async () => (await client.call('voice.sessions.list', {})).length === 0, 'the session to be gone');
  });

  it('refuses unknown sources and a second source with errors that say what to use', async () => {
    const unknown = await rejectsWith(
      client.call('voice.transcribe_stream.start', { audio_source: { kind: 'capture', sources: [{ device: 'usb-headset' }] } }),
      ErrorCode.InvalidParams,
      /the sound server has no source 'usb-headset'; use 'mic', 'system' or one of: (?=.*\bmic\b)(?=.*speakers\.monitor)/,
    );
    assert.equal(unknown.data?.field, 'audio_source.sources.0.device');
    await rejectsWith(
      client.call('voice.transcribe_stream.start', { audio_source: { kind: 'capture', sources: [{ device: 'mic' }, { device: 'system' }] } }),
      ErrorCode.InvalidParams,
      /a voice session records one source; to record several at once, start a meeting/,
    );
    assert.deepEqual(await client.call('voice.sessions.list', {}), []);
  });
});

describe('voice capture without a sound server', () => {
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    daemon = await startInProcess({ soundServer: { pulseServer: 'unix:/nonexistent/pulse/native' } });
    client = await daemon.connect();
  });
  after(async () => {
    client?.close();
    await daemon?.close();
  });

  it('answers -32014 naming the server it looked for and how to start or install one; nothing is left recording', { skip: soundServerMissing }, async () => {
    const howToStart =
      /no sound server answers at PULSE_SERVER=unix:\/nonexistent\/pulse\/native: PulseAudio \(or PipeWire's pulse service\) is not running there; start it with `pulseaudio --start` \(on PipeWire: `systemctl --user start pipewire-pulse`\)/;
    const howToInstall = /^none installed\? `apt install pulseaudio` \(or `apt install pipewire-pulse`\); one listening elsewhere\? set PULSE_SERVER/;
    const listing = await rejectsWith(client.call('voice.devices.list', {}), ErrorCode.Unavailable, howToStart);
    assert.match(String(listing.data?.hint), howToInstall);
    const starting = await rejectsWith(
      client.call('voice.transcribe_stream.start', { audio_source: { kind: 'capture', sources: [{ device: 'mic' }] } }),
      ErrorCode.Unavailable,
      howToStart,
    );
    assert.match(String(starting.data?.hint), howToInstall);
    assert.deepEqual(await client.call('voice.sessions.list', {}), []);
  });
});
