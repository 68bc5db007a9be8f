export { streamInference, type StreamOptions } from './inference.js';
export { recordMeeting, type RecordOptions } from './meeting.js';
export { sendAudio, transcribe, type AudioInput, type SendOptions, type TranscribeOptions } from './voice.js';
