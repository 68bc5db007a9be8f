import type { z } from 'zod';
import { invalidParams } from '../../protocol/errors.js';
import { DEFAULT_CHANNEL_ROLES, type MeetingAudioSourceKind, type meetingStartParams } from '../../protocol/meeting.js';
import { DEFAULT_SAMPLE_RATE } from '../../protocol/voice.js';
import type { ResolvedSource, SoundServer } from '../voice/capture/sound-server.js';
import { WavFileSource } from './file-source.js';

type AudioSourceParams = z.output<typeof meetingStartParams>['audio_source'];

/** One stream of a meeting to be: its own voice session (and decoder), and who speaks on it. */
export interface StreamPlan {
  /** `null` for the single stream of unlabelled audio (its transcripts keep the engine's `unknown`). */
  role: string | null;
  /** The source recorded, or `channel <n>` of a split recording. */
  device: string;
  /** Set when the daemon records this stream from the sound server. */
  capture: ResolvedSource | null;
}

/** Where a meeting's audio comes from, checked before the meeting exists: a refused source leaves nothing behind. */
export interface MeetingAudio {
  kind: MeetingAudioSourceKind;
  /** The format of the audio arriving (pushed or read); split streams each get one channel of it. */
  sampleRate: number;
  channels: 1 | 2;
  split: boolean;
  /** The opened file of a `file` source. */
  file: WavFileSource | null;
  streams: StreamPlan[];
}

/** Opens a file source, resolves capture sources against the sound server, and plans one stream per source or channel. */
export async function openMeetingAudio(source: AudioSourceParams, soundServer: Pick<SoundServer, 'resolve'>): Promise<MeetingAudio> {
  if (source.kind === 'capture') {
    const resolved = await soundServer.resolve(source.sources);
    return {
      kind: 'capture',
      sampleRate: DEFAULT_SAMPLE_RATE,
      channels: 1,
      split: false,
      file: null,
      streams: resolved.map((capture) => ({ role: capture.role, device: capture.name, capture })),
    };
  }
  const file = source.kind === 'file' ? await WavFileSource.open(source.path) : null;
  const format = source.kind === 'file' ? file!.format : { sampleRate: source.sample_rate, channels: source.channels };
  if (!source.split_channels)
    return {
      kind: source.kind,
      sampleRate: format.sampleRate,
      channels: format.channels,
      split: false,
      file,
      streams: [{ role: null, device: source.kind, capture: null }],
    };
  if (format.channels !== 2) {
    await file?.close();
    throw invalidParams(`split_channels needs stereo audio, one speaker per channel; '${file?.path}' has ${format.channels} channel`, {
      field: 'audio_source.split_channels',
    });
  }
  const roles = source.channel_roles ?? DEFAULT_CHANNEL_ROLES;
  if (roles[0] === roles[1]) {
    await file?.close();
    throw invalidParams(`both channels would carry the role '${roles[0]}'; give each channel its own role`, { field: 'audio_source.channel_roles' });
  }
  return {
    kind: source.kind,
    sampleRate: format.sampleRate,
    channels: format.channels,
    split: true,
    file,
    streams: roles.map((role, channel) => ({ role, device: `channel ${channel + 1}`, capture: null })),
  };
}
