import { encodeVoiceFrame } from '../../src/protocol/voice.js';
import { chunkLevel } from './level.js';

export const MICROPHONE_SAMPLE_RATE = 16_000;

export interface MicrophoneCapture {
  stop(): Promise<void>;
}

/** After each chunk: the audio time sent so far (the clock of the transcript's stamps) and the chunk's level (0-1). */
export interface CaptureProgress {
  audioMs: number;
  level: number;
}

/**
 * getUserMedia → AudioWorklet → 16 kHz mono s16le chunks of 100 ms, each handed to
 * `onFrame` as a binary frame (docs/protocol.md#binary-frames) for the voice session, then reported to `onProgress`.
 */
export async function captureMicrophone(
  voiceSessionId: string,
  onFrame: (frame: Uint8Array) => void,
  onProgress: (progress: CaptureProgress) => void = () => undefined,
): Promise<MicrophoneCapture> {
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
  let samplesSent = 0;
  chunker.port.onmessage = (event: MessageEvent<ArrayBuffer>) => {
    onFrame(encodeVoiceFrame(voiceSessionId, seq++, new Uint8Array(event.data)));
    const samples = new Int16Array(event.data);
    samplesSent += samples.length;
    onProgress({ audioMs: (samplesSent * 1000) / MICROPHONE_SAMPLE_RATE, level: chunkLevel(samples) });
  };
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
