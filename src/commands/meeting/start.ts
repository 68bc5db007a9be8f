import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { DEFAULT_MEETING_NAMESPACE, MeetingView, meetingOutcome } from '../../cli/meeting.js';
import { recordMeeting } from '../../client/workflows/meeting.js';
import { cliNamespace } from '../../cli/memory.js';
import { openAudioInput } from '../../cli/voice.js';
import { CarError } from '../../errors.js';

export default class MeetingStart extends CarCommand {
  static override summary = 'Record a meeting from a WAV file, or from audio piped into stdin (-).';
  static override description =
    'Transcribes the audio live through the daemon, saves every segment to <state root>/meetings/<id>/ as it is recognised, ' +
    "feeds the transcript into memory (namespace 'meetings' unless you choose another, so `car memory query --namespace meetings` finds it), " +
    'and summarises it with the local model when the audio ends. stdin takes raw s16le 16 kHz mono or a WAV stream. ' +
    'On a terminal the transcript is shown live; Ctrl-C stops the meeting cleanly and prints where the transcript and summary are. ' +
    '--json prints nothing live, then the meeting record.';
  static override examples = [
    'arecord -f S16_LE -r 16000 -c 1 -t raw | <%= config.bin %> meeting start - --title standup',
    '<%= config.bin %> meeting start recording.wav --title "design review"',
    'sox -d -t raw -r 16000 -c 1 -b 16 -e signed - | <%= config.bin %> meeting start --id retro-2024-06 --no-summary',
  ];
  static override args = {
    file: stringArg({ description: 'WAV file to record, or - for stdin [default: stdin]' }),
  };
  static override flags = {
    id: Flags.string({ description: 'meeting id (letters, digits, . _ -) [default: mtg-<date>-<random>]' }),
    title: Flags.string({ description: 'meeting title' }),
    file: Flags.string({ description: 'WAV file to record (the same as the argument)' }),
    summary: Flags.boolean({ description: 'summarise the transcript when the meeting stops', default: true, allowNo: true }),
    namespace: Flags.string({ description: `memory namespace the transcript goes to [default: CAR_MEMORY_NAMESPACE, else '${DEFAULT_MEETING_NAMESPACE}']` }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingStart);
    const source = args.file ?? flags.file ?? '-';
    const input = await openAudioInput(source);
    const namespace = cliNamespace(flags.namespace, DEFAULT_MEETING_NAMESPACE);
    const client = await this.connect({ memoryNamespace: namespace });
    const view = await MeetingView.create();
    try {
      const { result, failure } = await recordMeeting(client, input, {
        id: flags.id,
        title: flags.title,
        summarize: flags.summary,
        signal: this.interrupted(),
        onStarted: (started) => view.started(started),
        onEvent: (event) => this.jsonEnabled() || view.show(event),
        onStopping: (summarize) => view.stopping(summarize),
      });
      view.done();
      if (failure !== null) {
        if (this.jsonEnabled()) this.logJson(result);
        else this.show(result, meetingOutcome);
        throw new CarError(`the meeting failed: ${failure}`, 'the transcript up to the failure is saved; check `car voice providers` and the daemon log');
      }
      return this.show(result, meetingOutcome);
    } finally {
      view.done();
      // A pipe that stays open (Ctrl-C reached only this process) must not keep the command alive.
      if (source === '-') process.stdin.destroy();
    }
  }
}
