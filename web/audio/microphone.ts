export const MICROPHONE_SAMPLE_RATE = 16_000;
/** §15.6; src/protocol/voice.ts has the Node encoder (it builds a Buffer, and that module imports Node-only code). */
const FRAME_HEADER_BYTES = 26;
const FRAME_TYPE_PCM = 0x01;

export interface MicrophoneCapture {
  stop(): Promise<void>;
}

/**
 * getUserMedia → AudioWorklet → 16 kHz mono s16le chunks of 100 ms, each handed to
 * `onChunk` as a §15.6 binary frame for the voice session.
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
  chunker.port.onmessage = (event: MessageEvent<ArrayBuffer>) => onFrame(voiceFrame(voiceSessionId, seq++, new Uint8Array(event.data)));
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

/** The §15.6 inbound PCM frame: type, the session's 16 id bytes, u64 LE seq, format 0, then PCM. */
function voiceFrame(sessionId: string, seq: bigint, pcm: Uint8Array): Uint8Array {
  const frame = new Uint8Array(FRAME_HEADER_BYTES + pcm.length);
  const view = new DataView(frame.buffer);
  frame[0] = FRAME_TYPE_PCM;
  for (let i = 0; i < 16; i++) frame[1 + i] = parseInt(sessionId.slice(i * 2, i * 2 + 2), 16);
  view.setBigUint64(17, seq, true);
  frame[25] = 0;
  frame.set(pcm, FRAME_HEADER_BYTES);
  return frame;
}
