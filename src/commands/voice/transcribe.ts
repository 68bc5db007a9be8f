import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { parseSource, sourceFlagDescription } from '../../cli/capture.js';
import { isInteractive, progress } from '../../cli/render.js';
import { LiveTranscript, openAudioInput } from '../../cli/voice.js';
import { dictate, transcribe } from '../../client/workflows/voice.js';
import { CarError } from '../../errors.js';
import { MIC_DEVICE, type VoiceEvent, type VoiceStopResult } from '../../protocol/voice.js';

export default class VoiceTranscribe extends CarCommand {
  static override summary = 'Transcribe speech from the microphone, a WAV file or stdin through the daemon.';
  static override description =
    'With no file on a terminal (or with --source) the daemon records the default microphone (or the source named) through the sound server ' +
    'and the transcript is shown live, partial text on one updating line and each final segment as it arrives, until Ctrl-C. ' +
    'Otherwise it opens one voice session and sends the audio as binary frames: WAV (8-48 kHz, any channel count; resampled by the daemon) ' +
    'or raw s16le 16 kHz mono (stdin, or a .raw file). With --stream the audio is sent at its real pace and shown live; without it the audio ' +
    'is sent as fast as the engine decodes it and the transcript is printed at the end. --json prints one event per line, then a last ' +
    'line {"type":"result",...} with the whole transcript. Ctrl-C stops reading and still prints what was heard.';
  static override examples = [
    '<%= config.bin %> voice transcribe --stream',
    '<%= config.bin %> voice transcribe --source system',
    '<%= config.bin %> voice transcribe meeting.wav',
    '<%= config.bin %> voice transcribe /usr/share/pocketsphinx/test/data/goforward.raw --json',
  ];
  static override args = {
    file: stringArg({ description: 'WAV or .raw file, or - for stdin [default: the microphone on a terminal, else stdin]' }),
  };
  static override flags = {
    stream: Flags.boolean({ description: 'send at real-time pace and show partial text live (always so for the microphone)' }),
    source: Flags.string({ description: sourceFlagDescription }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(VoiceTranscribe);
    const json = this.jsonEnabled();
    const capturing = flags.source !== undefined || (args.file === undefined && process.stdin.isTTY);
    if (capturing && args.file !== undefined) throw new CarError(`transcribe either '${args.file}' or --source, not both`, 'drop one of them', 2);
    const input = capturing ? null : await openAudioInput(args.file ?? '-');
    const client = await this.connect();
    const live = new LiveTranscript();
    const signal = this.interrupted();
    const shownLive = capturing || flags.stream;
    const spinner = shownLive || json ? null : await progress('transcribing');
    const onEvent = (event: VoiceEvent) => {
      if (json) process.stdout.write(JSON.stringify(event) + '\n');
      else if (shownLive) live.show(event);
      else if (event.type === 'error') process.stderr.write(`${event.fatal ? 'error' : 'warning'}: ${event.message}\n`);
    };
    try {
      let result: VoiceStopResult;
      if (input) {
        // A file sent as fast as it decodes is decoded like a batch decoder would, in long windows; --stream is live dictation.
        result = await transcribe(client, input, {
          realtime: flags.stream,
          partials: flags.stream || json,
          mode: flags.stream ? 'live' : 'recording',
          signal,
          onEvent,
        });
      } else {
        result = await dictate(client, flags.source === undefined ? { device: MIC_DEVICE } : parseSource(flags.source), {
          partials: true,
          signal,
          onStarted: ({ capture }) =>
            isInteractive() && !json && process.stderr.write(`listening to ${capture?.description} (${capture?.name}); Ctrl-C to stop\n`),
          onEvent,
        });
      }
      spinner?.stop();
      live.clearPartial();
      if (json) process.stdout.write(JSON.stringify({ type: 'result', ...result }) + '\n');
      else if (!shownLive) for (const segment of result.segments) process.stdout.write(segment.text + '\n');
      if (!json && result.segments.length === 0 && isInteractive()) process.stderr.write('no speech recognised\n');
    } finally {
      spinner?.stop();
      live.clearPartial();
    }
  }
}
