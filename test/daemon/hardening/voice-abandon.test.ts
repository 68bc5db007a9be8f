import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { EngineOpenQueue } from '../../../src/daemon/voice/open-queue.js';
import { DEFAULT_MODEL_DIR } from '../../../src/daemon/voice/engines/sphinx/addon.js';
import { SphinxEngine } from '../../../src/daemon/voice/engines/sphinx/engine.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { rawSocket } from '../../helpers/raw-socket.js';
import { waitFor } from '../../helpers/wait.js';
import { engineMissing } from '../voice/recordings.js';

const START = { audio_source: { kind: 'pcm_push', sample_rate: 16000, channels: 1 } };

/** Issue 12, defect 1: voice starts whose owner vanished must not pin decoders. */
describe('abandoned voice starts', { skip: engineMissing }, () => {
  let daemon: InProcessDaemon;

  before(async () => {
    daemon = await startInProcess({ voice: { maxPerConnection: 4, maxPerDaemon: 6 } });
  });
  after(() => daemon.close());

  it('a queued open whose session ended never reaches the engine, so it never loads a decoder', async () => {
    const engine = new SphinxEngine({ modelDir: DEFAULT_MODEL_DIR, workers: 1, idleDecoders: 0, idleMs: 1000 });
    const queue = new EngineOpenQueue(1);
    const options = { sampleRate: 16000, channels: 1 as const, partials: false };
    const first = queue.forSession('a', engine).open(options, () => undefined);
    const abandoned = ['b', 'c', 'd'].map((key) => queue.forSession(key, engine).open(options, () => undefined));
    assert.equal(queue.queued, 3);
    for (const key of ['b', 'c', 'd']) queue.cancel(key);
    assert.equal(queue.queued, 0);
    for (const open of abandoned) await assert.rejects(open, /ended before its speech engine opened/);
    assert.equal(engine.openStreams(), 1, 'only the first open holds a decoder');
    (await first).discard();
    await waitFor(() => engine.openStreams() === 0, 'the decoder to be released');
    await engine.close();
  });

  it('5 × 4 starts from connections that vanish leave no voice session and no decoder, and the daemon still starts new ones', async () => {
    for (let cycle = 0; cycle < 5; cycle++) {
      const sock = await rawSocket(daemon.url);
      sock.send({ jsonrpc: '2.0', id: 'auth', method: 'session.auth', params: { token: daemon.token } });
      await sock.next();
      for (let index = 0; index < 4; index++) sock.send({ jsonrpc: '2.0', id: index, method: 'voice.transcribe_stream.start', params: START });
      sock.ws.terminate();
    }
    await waitFor(() => daemon.state.sessions.size === 0, 'the vanished sessions to be removed', 20_000);
    await waitFor(() => daemon.state.voice.openStreams() === 0, 'every decoder to be released', 20_000);
    const client = await daemon.connect();
    const started = await client.call('voice.transcribe_stream.start', START as never);
    assert.equal((await client.call('voice.transcribe_stream.stop', { session_id: started.session_id })).status, 'stopped');
    client.close();
  });
});
