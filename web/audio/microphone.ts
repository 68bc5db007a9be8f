import { encodeVoiceFrame } from '../../src/protocol/voice.js';

export const MICROPHONE_SAMPLE_RATE = 16_000;

export interface MicrophoneCapture {
  stop(): Promise<void>;
}

/**
 * getUserMedia → AudioWorklet → 16 kHz mono s16le chunks of 100 ms, each handed to
 * `onFrame` as a §15.6 binary frame for the voice session.
 */
export async function captureMicrophone(voiceSessionId: string, onFrame: (frame: Uint8Array) => void): Promise<MicrophoneCapture> {
  const media = await navigator.mediaDevices.getUserMedia({
    audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false },
  });
  const context = new AudioContext({ sampleRate: MICROPHONE_SAMPLE_RATE });
  try {
    await context.audioWorklet.addModule('/pcm-worklet.js');
  } catch (error) {
    media.getTracks().forEach((track) => track.stop());
    await context.close();
    throw error;
  }
  const source = context.createMediaStreamSource(media);
  const chunker = new AudioWorkletNode(context, 'pcm-chunker', { numberOfInputs: 1, numberOfOutputs: 0 });
  let seq = 1n;
  chunker.port.onmessage = (event: MessageEvent<ArrayBuffer>) => onFrame(encodeVoiceFrame(voiceSessionId, seq++, new Uint8Array(event.data)));
  source.connect(chunker);
  return {
    async stop() {
      source.disconnect();
      chunker.port.onmessage = null;
      media.getTracks().forEach((track) => track.stop());
      await context.close();
    },
  };
}
