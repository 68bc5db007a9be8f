export { streamInference, type StreamOptions } from './inference.js';
export { recordCapture, recordMeeting, type PushOptions, type RecordOptions, type RecordOutcome } from './meeting.js';
export { dictate, sendAudio, transcribe, type AudioInput, type DictateOptions, type SendOptions, type TranscribeOptions } from './voice.js';
