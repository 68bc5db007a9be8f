import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CarClient } from '../../../src/client/node.js';
import { wavHeader } from '../../../src/audio/wav.js';
import type { VoiceEventParams } from '../../../src/protocol/voice.js';
import { tempStateRoot } from '../../helpers/paths.js';
import { TESTDATA } from '../voice/recordings.js';

/** Real pocketsphinx-testdata recordings, one after another with a second of silence between: a short "meeting". */
export const MEETING_PARTS = ['goforward.raw', 'numbers.raw', 'something.raw'];

/** 16 kHz mono s16le of the parts joined with silence (`repeat` times over for a longer one). */
export function meetingPcm(repeat = 1): Buffer {
  const silence = Buffer.alloc(16000 * 2);
  const parts: Buffer[] = [];
  for (let round = 0; round < repeat; round++) for (const part of MEETING_PARTS) parts.push(readFileSync(join(TESTDATA, part)), silence);
  return Buffer.concat(parts);
}

/** The meeting recording as a WAV file in a fresh temp directory. */
export function meetingWav(repeat = 1): string {
  const pcm = meetingPcm(repeat);
  const file = join(tempStateRoot('car-meeting-wav-'), 'meeting.wav');
  writeFileSync(file, Buffer.concat([wavHeader(16000, 1, pcm.length), pcm]));
  return file;
}

/** Every `voice.event` of one meeting, in arrival order. */
export function meetingEvents(client: CarClient, meetingId: string): VoiceEventParams[] {
  const received: VoiceEventParams[] = [];
  client.on('voice.event', (params) => {
    if (params.meeting_id === meetingId) received.push(params);
  });
  return received;
}

export const finals = (events: VoiceEventParams[]) => events.flatMap((params) => (params.event.type === 'transcript' ? [params.event] : []));

/** A state root whose default generation model is the tiny TinyStories model (the `model` setting). */
export function stateRootWithStories(): string {
  const stateRoot = tempStateRoot();
  writeFileSync(join(stateRoot, 'config.json'), JSON.stringify({ model: 'stories260K' }));
  return stateRoot;
}

/** A models directory with no model in it: summaries are unavailable. */
export const noModels = () => tempStateRoot('car-no-models-');

export const modeOf = (path: string) => statSync(path).mode & 0o777;
