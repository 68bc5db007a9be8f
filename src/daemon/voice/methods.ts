import { emptyParams } from '../../protocol/core.js';
import { transcribePushParams, transcribeStartParams, transcribeStopParams } from '../../protocol/voice.js';
import { method, type MethodTable } from '../rpc/method-table.js';

/** `voice.transcribe_stream.*`, `voice.sessions.list`, `voice.providers.list` (§15). */
export const voiceMethods: MethodTable = {
  'voice.transcribe_stream.start': method({
    params: transcribeStartParams,
    handler: ({ session_id, audio_source, options }, { state, session }) =>
      state.voice.start(session, {
        sessionId: session_id,
        sampleRate: audio_source.sample_rate,
        channels: audio_source.channels,
        provider: options?.provider,
        language: options?.language,
        partials: options?.partials,
      }),
  }),

  'voice.transcribe_stream.push': method({
    params: transcribePushParams,
    handler: ({ session_id, pcm_b64 }, { state, session }) => state.voice.push(session_id, Buffer.from(pcm_b64, 'base64'), session),
  }),

  'voice.transcribe_stream.stop': method({
    params: transcribeStopParams,
    handler: ({ session_id }, { state, session }) => state.voice.stop(session_id, session),
  }),

  'voice.sessions.list': method({
    params: emptyParams,
    handler: (_params, { state, session }) => state.voice.list(session),
  }),

  'voice.providers.list': method({
    params: emptyParams,
    handler: (_params, { state }) => state.voice.providers(),
  }),
};
