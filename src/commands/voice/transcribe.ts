import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { isInteractive, progress } from '../../cli/render.js';
import { LiveTranscript, openAudioInput } from '../../cli/voice.js';
import { transcribe } from '../../client/workflows/voice.js';

export default class VoiceTranscribe extends CarCommand {
  static override summary = 'Transcribe speech from a WAV file or stdin through the daemon.';
  static override description =
    'Opens one voice session and sends the audio as binary frames. Accepts WAV (8-48 kHz, any channel count; resampled by the daemon) ' +
    'or raw s16le 16 kHz mono (stdin, or a .raw file). With --stream the audio is sent at its real pace, partial text is shown on one ' +
    'updating line and each final segment is printed as it arrives, so piping a microphone in gives live dictation. Without it the audio ' +
    'is sent as fast as the engine decodes it and the transcript is printed at the end. --json prints one event per line, then a last ' +
    'line {"type":"result",...} with the whole transcript. Ctrl-C stops reading and still prints what was heard.';
  static override examples = [
    '<%= config.bin %> voice transcribe meeting.wav',
    'arecord -f S16_LE -r 16000 -c 1 -t raw | <%= config.bin %> voice transcribe - --stream',
    '<%= config.bin %> voice transcribe /usr/share/pocketsphinx/test/data/goforward.raw --json',
  ];
  static override args = {
    file: stringArg({ description: 'WAV or .raw file, or - for stdin', default: '-' }),
  };
  static override flags = {
    stream: Flags.boolean({ description: 'send at real-time pace and show partial text live' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(VoiceTranscribe);
    const json = this.jsonEnabled();
    const input = await openAudioInput(args.file);
    const client = await this.connect();
    const live = new LiveTranscript();
    const stopReading = new AbortController();
    const onInterrupt = () => stopReading.abort();
    process.once('SIGINT', onInterrupt);
    const spinner = flags.stream || json ? null : await progress('transcribing');
    try {
      const result = await transcribe(client, input, {
        realtime: flags.stream,
        partials: flags.stream || json,
        // A file sent as fast as it decodes is decoded like a batch decoder would, in long windows; --stream is live dictation.
        mode: flags.stream ? 'live' : 'recording',
        signal: stopReading.signal,
        onEvent: (event) => {
          if (json) process.stdout.write(JSON.stringify(event) + '\n');
          else if (flags.stream) live.show(event);
          else if (event.type === 'error') process.stderr.write(`${event.fatal ? 'error' : 'warning'}: ${event.message}\n`);
        },
      });
      spinner?.stop();
      live.clearPartial();
      if (json) process.stdout.write(JSON.stringify({ type: 'result', ...result }) + '\n');
      else if (!flags.stream) for (const segment of result.segments) process.stdout.write(segment.text + '\n');
      if (!json && result.segments.length === 0 && isInteractive()) process.stderr.write('no speech recognised\n');
    } finally {
      spinner?.stop();
      process.off('SIGINT', onInterrupt);
    }
  }
}
