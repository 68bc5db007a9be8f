import { voiceContract } from '../../protocol/voice.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { VoiceSessionRegistry } from './registry.js';

/** `voice.transcribe_stream.*`, `voice.sessions.list`, `voice.providers.list`, `voice.devices.list` (docs/protocol.md#namespace-voice, issue 21). */
export const voiceMethods = (voice: VoiceSessionRegistry): MethodTable =>
  implement(voiceContract, {
    'voice.transcribe_stream.start': {
      async handler({ session_id, audio_source, options }, { session }) {
        const common = { sessionId: session_id, provider: options?.provider, language: options?.language, partials: options?.partials, mode: options?.mode };
        if (audio_source.kind === 'pcm_push') return voice.start(session, { ...common, sampleRate: audio_source.sample_rate, channels: audio_source.channels });
        const [source] = await voice.capture.resolve(audio_source.sources);
        return (await voice.startCapture(session, source!, common)).info;
      },
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

    'voice.devices.list': {
      handler: (_params) => voice.devices(),
    },
  });
