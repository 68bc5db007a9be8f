import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import type { ClientSession } from '../../../src/daemon/sessions/client-session.js';
import type { OwningCapability } from '../../../src/daemon/voice/registry.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import type { VoiceEvent } from '../../../src/protocol/voice.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { GO_FORWARD_WORDS, engineMissing, goForward } from './recordings.js';
import { collectVoiceEvents, corruptSpeechModel, sendFrames, textWords } from './support.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';

async function ownSession(daemon: InProcessDaemon, client: CarClient): Promise<ClientSession> {
  const self = (await client.call('sessions.list', {})).sessions.find((session) => session.is_self)!;
  return daemon.state.sessions.get(self.id)!;
}

/** The registry API the meetings capability codes against (state.voice). */
describe('VoiceSessionRegistry contract for meetings', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;
  let client: CarClient;
  let owner: ClientSession;

  before(async () => {
    daemon = await startInProcess();
    client = await daemon.connect();
    owner = await ownSession(daemon, client);
  });
  after(() => daemon.close());

  it('awaits a slow sink before the next event, and stop returns only after the last final went through it', async () => {
    const seen: VoiceEvent[] = [];
    let inSink = 0;
    let mostAtOnce = 0;
    const sink = async (event: VoiceEvent) => {
      mostAtOnce = Math.max(mostAtOnce, ++inSink);
      await sleep(event.type === 'partial' ? 5 : 25);
      seen.push(event);
      inSink--;
    };
    const info = daemon.state.voice.start(owner, { sampleRate: 16000, channels: 1, ownedBy: meeting('mtg-20250101-abcdef', false) }, sink);
    const pcm = goForward();
    let total = 0;
    for (let offset = 0; offset < pcm.length; offset += 8000) {
      const pushed = await daemon.state.voice.push(info.session_id, pcm.subarray(offset, offset + 8000));
      total += pushed.accepted_bytes;
      assert.equal(pushed.total_bytes, total);
    }
    const [listed] = await client.call('voice.sessions.list', {});
    assert.equal(listed!.meeting_id, 'mtg-20250101-abcdef');
    await rejectsWith(
      client.call('voice.transcribe_stream.stop', { session_id: info.session_id }),
      ErrorCode.InvalidParams,
      /^voice session belongs to meeting 'mtg-20250101-abcdef'; stop it with meeting\.stop$/,
    );

    const result = await daemon.state.voice.stop(info.session_id);
    assert.equal(inSink, 0, 'no sink call is still running when stop resolves');
    assert.equal(mostAtOnce, 1, 'one sink call at a time');
    assert.deepEqual(
      result.segments.map((segment) => segment.text),
      seen.flatMap((event) => (event.type === 'transcript' ? [event.text] : [])),
    );
    assert.ok(GO_FORWARD_WORDS.filter((word) => textWords(result.text).includes(word)).length >= 3, result.text);
    assert.deepEqual(
      seen.map((event) => event.type).filter((type, index, all) => type !== all[index - 1]),
      ['speech_start', 'partial', 'speech_end', 'transcript'],
    );
  });

  it('push resolves once the engine has decoded the chunk', async () => {
    const seen: VoiceEvent[] = [];
    const info = daemon.state.voice.start(owner, { sampleRate: 16000, channels: 1 }, (event) => void seen.push(event));
    // A final's window closes at a sentence-level pause (issue 22), longer than the recording's own trailing silence.
    await daemon.state.voice.push(info.session_id, Buffer.concat([goForward(), Buffer.alloc(1.5 * 32000)]));
    assert.ok(
      seen.some((event) => event.type === 'transcript'),
      `the silence after the recording closes its window during the push: ${JSON.stringify(seen.map((event) => event.type))}`,
    );
    await daemon.state.voice.stop(info.session_id);
  });

  it('a session its owning capability feeds takes no audio from clients, by push or binary frame', async () => {
    const received = collectVoiceEvents(client);
    const info = daemon.state.voice.start(owner, { sampleRate: 16000, channels: 1, ownedBy: meeting('standup', true) }, () => undefined);
    await rejectsWith(
      client.call('voice.transcribe_stream.push', { session_id: info.session_id, pcm_b64: Buffer.alloc(320).toString('base64') }),
      ErrorCode.Forbidden,
      /^voice session '[0-9a-f]{32}' is fed by meeting 'standup' itself; it takes no pushed audio$/,
    );
    sendFrames(client, info.session_id, Buffer.alloc(3200));
    await daemon.state.voice.push(info.session_id, goForward());
    const result = await daemon.state.voice.stop(info.session_id);
    assert.equal(result.duration_ms, Math.round((goForward().length / 32000) * 1000), 'only the owner’s audio was taken');
    assert.equal(
      received.filter((params) => params.session_id === info.session_id).length,
      0,
      'the frame got no error event either: it is dropped like a stranger’s',
    );
  });

  it('refuses internal callers the same bad formats and unknown ids the RPC schema refuses', async () => {
    assert.throws(() => daemon.state.voice.start(owner, { sampleRate: 0, channels: 1 }), /sample rate 0 Hz is not supported/);
    assert.throws(() => daemon.state.voice.start(owner, { sampleRate: 16000, channels: 3 }), /3 channels are not supported/);
    assert.throws(() => daemon.state.voice.start(owner, { sampleRate: 16000, channels: 1, sessionId: 'x' }), /32 lowercase hex/);
    await rejectsWith(daemon.state.voice.push('0'.repeat(32), Buffer.alloc(2)), ErrorCode.NotFound, /unknown voice session/);
  });

  it('teardown leaves a session another capability owns for it to finish: it keeps decoding and its stop still returns the transcript', async () => {
    const other = await daemon.connect();
    const otherOwner = await ownSession(daemon, other);
    const seen: VoiceEvent[] = [];
    const info = daemon.state.voice.start(otherOwner, { sampleRate: 16000, channels: 1, ownedBy: meeting('m1', false) }, (event) => void seen.push(event));
    await daemon.state.voice.push(info.session_id, goForward().subarray(0, 30000));
    await other.closeAndWait();
    await waitFor(() => otherOwner.closed, 'the connection to be torn down');
    assert.equal(daemon.state.voice.list(owner).length, 1, 'the session outlives its connection');
    await daemon.state.voice.push(info.session_id, goForward().subarray(30000));
    const result = await daemon.state.voice.stop(info.session_id);
    assert.ok(GO_FORWARD_WORDS.filter((word) => textWords(result.text).includes(word)).length >= 3, result.text);
    assert.ok(seen.some((event) => event.type === 'transcript'));
    await waitFor(() => daemon.state.voice.openStreams() === 0, 'the decoder to be released');
  });
});

describe('engine failures', () => {
  it('a model that is present but corrupt fails the session with a fatal error event, and the daemon lives on', async () => {
    const modelDir = corruptSpeechModel();
    const daemon = await startInProcess({ voice: { modelDir } });
    try {
      const client = await daemon.connect();
      const received = collectVoiceEvents(client);
      const providers = await client.call('voice.providers.list', {});
      if (!providers[0]!.available) {
        // Without the addon the corrupt model is never opened: the provider is unavailable instead.
        await rejectsWith(client.call('voice.transcribe_stream.start', {}), ErrorCode.Unavailable, /speech provider 'local' is unavailable/);
        return;
      }
      const started = await client.call('voice.transcribe_stream.start', {});
      await waitFor(() => received.length > 0, 'the fatal error event');
      assert.equal(received.length, 1);
      const { event } = received[0]!;
      assert.equal(event.type, 'error');
      assert.ok(event.type === 'error' && event.fatal && /could not start: PocketSphinx could not load its model/.test(event.message), JSON.stringify(event));
      assert.deepEqual(await client.call('voice.sessions.list', {}), []);
      await rejectsWith(
        client.call('voice.transcribe_stream.push', { session_id: started.session_id, pcm_b64: '' }),
        ErrorCode.NotFound,
        /unknown voice session/,
      );
      assert.deepEqual((await client.call('sessions.list', {})).sessions.length, 1);
    } finally {
      await daemon.close();
    }
  });
});

const meeting = (id: string, feedsAudio: boolean): OwningCapability => ({ kind: 'meeting', id, stopMethod: 'meeting.stop', feedsAudio });
