import { voiceContract } from '../../protocol/voice.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { VoiceSessionRegistry } from './registry.js';

/** `voice.transcribe_stream.*`, `voice.sessions.list`, `voice.providers.list` (§15). */
export const voiceMethods = (voice: VoiceSessionRegistry): MethodTable =>
  implement(voiceContract, {
    'voice.transcribe_stream.start': {
      handler: ({ session_id, audio_source, options }, { session }) =>
        voice.start(session, {
          sessionId: session_id,
          sampleRate: audio_source.sample_rate,
          channels: audio_source.channels,
          provider: options?.provider,
          language: options?.language,
          partials: options?.partials,
          mode: options?.mode,
        }),
    },

    'voice.transcribe_stream.push': {
      handler: ({ session_id, pcm_b64 }, { session }) => voice.push(session_id, Buffer.from(pcm_b64, 'base64'), session),
    },

    'voice.transcribe_stream.stop': {
      handler: ({ session_id }, { session }) => voice.stop(session_id, session),
    },

    'voice.sessions.list': {
      handler: (_params, { session }) => voice.list(session),
    },

    'voice.providers.list': {
      handler: (_params) => voice.providers(),
    },
  });
