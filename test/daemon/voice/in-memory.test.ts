import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/protocol/errors.js';
import { inMemoryFixture } from '../../helpers/in-memory-channel.js';
import { rejectsWith } from '../../helpers/rpc.js';

/** `voice.*` (docs/protocol.md#namespace-voice) driven through the in-memory channel: providers and refused starts/stops, no audio decoded. */
describe('voice over the in-memory channel', () => {
  const fixture = inMemoryFixture();

  it('lists the local and whisper speech-to-text providers', async () => {
    const { client } = fixture;
    const providers = await client.call('voice.providers.list', {});
    const ids = providers.map((provider) => provider.id);
    assert.ok(ids.includes('local') && ids.includes('whisper'), `providers: ${ids.join(', ')}`);
    for (const provider of providers.filter((entry) => entry.id === 'local' || entry.id === 'whisper')) assert.equal(provider.kind, 'stt');
  });

  it('refuses a start with bad params with -32602 naming the field, and starts nothing', async () => {
    const { client } = fixture;
    await rejectsWith(
      client.request('voice.transcribe_stream.start', { audio_source: { kind: 'microphone' } }),
      ErrorCode.InvalidParams,
      /param 'audio_source.kind'.*use 'pcm_push'/,
    );
    await rejectsWith(
      client.request('voice.transcribe_stream.start', { options: { language: 'english!' } }),
      ErrorCode.InvalidParams,
      /param 'options.language'.*BCP-47/,
    );
    await rejectsWith(
      client.request('voice.transcribe_stream.start', { options: { provider: 'nope' } }),
      ErrorCode.InvalidParams,
      /unknown speech provider 'nope'/,
    );
    assert.deepEqual(await client.call('voice.sessions.list', {}), []);
  });

  it('answers a stop of an unknown session with -32010, and a malformed id with -32602', async () => {
    const { client } = fixture;
    await rejectsWith(client.request('voice.transcribe_stream.stop', { session_id: 'a'.repeat(32) }), ErrorCode.NotFound, /unknown voice session 'a{32}'/);
    await rejectsWith(client.request('voice.transcribe_stream.stop', { session_id: 'abc' }), ErrorCode.InvalidParams, /param 'session_id'.*32 lowercase hex/);
  });
});
