import assert from 'node:assert/strict';
import { rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CarClient } from '../../../src/client/node.js';
import { EngineLoadFailure } from '../../../src/daemon/voice/engines/engine-record.js';
import { WhisperEngine } from '../../../src/daemon/voice/engines/whisper/engine.js';
import { whisper as whisperRecord } from '../../../src/daemon/voice/engines/whisper/index.js';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { startInProcess, type InProcessDaemon } from '../../helpers/in-process.js';
import { SHARED_MODELS, tempStateRoot } from '../../helpers/paths.js';
import { rejectsWith } from '../../helpers/rpc.js';
import { waitFor } from '../../helpers/wait.js';
import { goForward } from './recordings.js';
import { collectVoiceEvents, eventsOf, pushAll } from './support.js';

/** A models directory holding whisper.cpp's format-only test model (no weights: it decodes everything to "") and the real Silero VAD. */
function modelsDir(): string {
  const dir = tempStateRoot('car-whisper-models-');
  symlinkSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), join(dir, 'ggml-tiny.en-for-tests.bin'));
  symlinkSync(join(SHARED_MODELS, 'silero_vad.onnx'), join(dir, 'silero_vad.onnx'));
  return dir;
}

const whisperOf = (daemon: InProcessDaemon) => daemon.state.voice['engines'].get('whisper') as WhisperEngine;

/** The whisper provider's plumbing on the test model: the pipeline is asserted, never the words (there are none). */
describe('whisper provider (@napi-rs/whisper + Silero VAD)', () => {
  let models: string;
  let daemon: InProcessDaemon;
  let client: CarClient;

  before(async () => {
    models = modelsDir();
    daemon = await startInProcess({ voice: { modelsDir: models, whisperWorkers: 1, whisperDecodeThreads: 1 } });
    client = await daemon.connect();
  });
  after(async () => {
    await daemon.close();
    rmSync(models, { recursive: true, force: true });
  });

  it('is listed beside PocketSphinx; the weightless test model makes it available but not the default', async () => {
    const providers = await client.call('voice.providers.list', {});
    assert.deepEqual(
      providers.map((provider) => [provider.id, provider.available]),
      [
        ['local', true],
        ['whisper', true],
      ],
    );
    const started = await client.call('voice.transcribe_stream.start', {});
    assert.equal(started.provider, 'local', 'a session naming no provider gets PocketSphinx while whisper has no real model');
    await client.call('voice.transcribe_stream.stop', { session_id: started.session_id });
  });

  it('runs a session end to end: speech found by the VAD, one final decode per utterance, stop returns', async () => {
    const received = collectVoiceEvents(client);
    const started = await client.call('voice.transcribe_stream.start', { options: { provider: 'whisper', partials: false } });
    assert.equal(started.provider, 'whisper');
    await pushAll(client, started.session_id, goForward(), 16000);
    const stopped = await client.call('voice.transcribe_stream.stop', { session_id: started.session_id });
    assert.equal(stopped.status, 'stopped');
    assert.equal(stopped.duration_ms, Math.round((goForward().length / 32000) * 1000));
    assert.equal(stopped.text, '', 'the test model transcribes nothing');
    const types = eventsOf(received, started.session_id).map((event) => event.type);
    assert.deepEqual(types, ['speech_start', 'speech_end'], 'the VAD found the one utterance and it was decoded (to nothing)');
    const [speechStart, speechEnd] = eventsOf(received, started.session_id);
    assert.ok(
      speechStart!.type === 'speech_start' && speechEnd!.type === 'speech_end' && speechStart.at_ms < speechEnd.at_ms && speechEnd.at_ms <= stopped.duration_ms,
    );
  });

  it('decodes concurrent sessions on the bounded thread pool, and tears a disconnected one down', async () => {
    const other = await daemon.connect();
    const sessions = await Promise.all(
      [client, other].map((owner) => owner.call('voice.transcribe_stream.start', { options: { provider: 'whisper', partials: false } })),
    );
    await Promise.all([
      pushAll(client, sessions[0]!.session_id, goForward(), 32000),
      pushAll(other, sessions[1]!.session_id, goForward().subarray(0, 32000), 32000),
    ]);
    assert.equal(whisperOf(daemon).threadCount(), 1, 'whisperWorkers: 1 means one thread, shared');
    assert.equal(whisperOf(daemon).openStreams(), 2);
    await other.closeAndWait();
    await waitFor(() => whisperOf(daemon).openStreams() === 1, "the disconnected session's stream to be released");
    const stopped = await client.call('voice.transcribe_stream.stop', { session_id: sessions[0]!.session_id });
    assert.equal(stopped.status, 'stopped');
    assert.equal(whisperOf(daemon).openStreams(), 0);
  });
});

describe('whisper provider without a usable model', () => {
  it('is unavailable with the reason and a hint, and a session asking for it gets -32014', async () => {
    const empty = tempStateRoot('car-whisper-none-');
    const daemon = await startInProcess({ voice: { modelsDir: empty } });
    try {
      const client = await daemon.connect();
      const whisper = (await client.call('voice.providers.list', {})).find((provider) => provider.id === 'whisper')!;
      assert.equal(whisper.available, false);
      assert.match(whisper.reason!, /^no whisper model \(a whisper\.cpp ggml \.bin file\) in /);
      assert.match(whisper.hint!, /car config set whisper\.model/);
      await rejectsWith(
        client.call('voice.transcribe_stream.start', { options: { provider: 'whisper' } }),
        ErrorCode.Unavailable,
        /^speech provider 'whisper' is unavailable: no whisper model .*; download a whisper\.cpp model/,
      );

      writeFileSync(join(empty, 'ggml-broken.bin'), 'this is not a model at all, just text long enough for a header');
      await rejectsWith(
        client.call('voice.transcribe_stream.start', { options: { provider: 'whisper' } }),
        ErrorCode.Unavailable,
        /ggml-broken\.bin is not a usable whisper model: it does not start with the ggml magic/,
      );
      assert.equal((await client.call('voice.transcribe_stream.start', {})).provider, 'local', 'the default stays PocketSphinx');
    } finally {
      await daemon.close();
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it("a model that fails to load in the worker fails the start with the record's `model` load-failure kind, and the provider then says why with its hint", async () => {
    const dir = tempStateRoot('car-whisper-vanished-');
    const model = join(dir, 'ggml-tiny.en-for-tests.bin');
    symlinkSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), model);
    symlinkSync(join(SHARED_MODELS, 'silero_vad.onnx'), join(dir, 'silero_vad.onnx'));
    const engine = (await whisperRecord.load())({ modelsDir: dir, cores: 1, setting: () => null, whisperWorkers: 1, whisperDecodeThreads: 1 });
    try {
      // The file is checked on this thread, then loaded by a worker that is still starting: removed in between, the worker's load fails.
      const opening = engine.open({ sampleRate: 16000, channels: 1, partials: false }, () => {});
      rmSync(model);
      await assert.rejects(
        opening,
        (error) =>
          error instanceof EngineLoadFailure &&
          error.kind === 'model' &&
          /^whisper could not load its model .*ggml-tiny\.en-for-tests\.bin/.test(error.message),
      );
      symlinkSync(join(SHARED_MODELS, 'for-tests-ggml-tiny.en.bin'), model);
      const availability = engine.availability();
      assert.ok(!availability.available);
      assert.match(availability.reason, /^whisper could not load its model .*: it cannot be read \(ENOENT\)$/);
      assert.equal(availability.hint, whisperRecord.loadFailures.model);
    } finally {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
