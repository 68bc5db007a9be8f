import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { meetingSources, sourceFlag } from '../../cli/capture.js';
import { DEFAULT_MEETING_NAMESPACE, MeetingView, meetingOutcome } from '../../cli/meeting.js';
import { recordCapture, recordMeeting, type RecordOptions, type RecordOutcome } from '../../client/workflows/meeting.js';
import { cliNamespace } from '../../cli/memory.js';
import { openAudioInput } from '../../cli/voice.js';
import { CarError } from '../../errors.js';

export default class MeetingStart extends CarCommand {
  static override summary = 'Record a meeting: the microphone (and the speakers), a WAV file, or audio piped into stdin (-).';
  static override description =
    'With no file on a terminal the daemon records the default microphone through the sound server (PulseAudio or PipeWire); --system adds what the speakers play ' +
    '(the other side of a call), --source picks sources by name, each with a role shown before its lines (mic and system unless you give one). ' +
    'The daemon transcribes the audio live, saves every segment to <state root>/meetings/<id>/ as it is recognised, ' +
    "feeds the transcript into memory (namespace 'meetings' unless you choose another, so `car memory query --namespace meetings` finds it), " +
    'and summarises it with the local model when it stops. stdin takes raw s16le 16 kHz mono or a WAV stream. ' +
    'On a terminal the transcript is shown live; Ctrl-C stops the meeting cleanly and prints where the transcript and summary are. ' +
    'With --detach the command returns once recording has started and prints the id; the meeting records in the daemon until `car meeting stop`. ' +
    '--json prints nothing live, then the meeting record.';
  static override examples = [
    '<%= config.bin %> meeting start --title standup',
    '<%= config.bin %> meeting start --system --title "call with ACME"',
    '<%= config.bin %> meeting start --source mic=me --source system=them --detach',
    '<%= config.bin %> meeting start recording.wav --title "design review"',
    '<%= config.bin %> meeting start call.wav --split-channels --roles me,them',
    'sox -d -t raw -r 16000 -c 1 -b 16 -e signed - | <%= config.bin %> meeting start - --id retro-2024-06 --no-summary',
  ];
  static override args = {
    file: stringArg({ description: 'WAV file to record, or - for stdin [default: the microphone on a terminal, else stdin]' }),
  };
  static override flags = {
    id: Flags.string({ description: 'meeting id (letters, digits, . _ -) [default: mtg-<date>-<random>]' }),
    title: Flags.string({ description: 'meeting title' }),
    file: Flags.string({ description: 'WAV file to record (the same as the argument)' }),
    system: Flags.boolean({ description: 'also record what the speakers play (the default output’s monitor), with the role system' }),
    source: sourceFlag,
    detach: Flags.boolean({ description: 'return once recording has started (prints the id); stop it later with `car meeting stop`' }),
    'split-channels': Flags.boolean({ description: 'a stereo recording with one speaker per channel: transcribe each channel as its own stream' }),
    roles: Flags.string({ description: 'the roles of the split channels, left first [default: left,right]', dependsOn: ['split-channels'] }),
    summary: Flags.boolean({ description: 'summarise the transcript when the meeting stops', default: true, allowNo: true }),
    namespace: Flags.string({ description: `memory namespace the transcript goes to [default: CAR_MEMORY_NAMESPACE, else '${DEFAULT_MEETING_NAMESPACE}']` }),
  };

  async run() {
    const { args, flags } = await this.parse(MeetingStart);
    const file = args.file ?? flags.file;
    const capturing = Boolean(flags.source?.length || flags.system || (file === undefined && process.stdin.isTTY));
    if (capturing && file !== undefined)
      throw new CarError(
        `record either '${file}' or sound-server sources, not both`,
        'drop --system/--source to record the file, or the file to record the sources',
        2,
      );
    if (capturing && flags['split-channels'])
      throw new CarError(
        '--split-channels splits a stereo file or stream; captured sources are already one stream each',
        'pass the stereo WAV file to split',
        2,
      );
    if (flags.detach && !capturing)
      throw new CarError(
        '--detach leaves the daemon recording from the sound server; a file or stdin needs this command to send it',
        'drop --detach, or record sources (no file on a terminal, --system or --source)',
        2,
      );
    const namespace = cliNamespace(flags.namespace, DEFAULT_MEETING_NAMESPACE);
    const sources = meetingSources(flags.source, flags.system);

    if (flags.detach) {
      const client = await this.connect({ memoryNamespace: namespace });
      const started = await client.call('meeting.start', {
        id: flags.id,
        title: flags.title,
        audio_source: { kind: 'capture', sources },
        summarize_on_end: flags.summary,
      });
      if (!this.jsonEnabled())
        process.stderr.write(
          `recording ${started.sources.map((source) => `${source.role} (${source.device})`).join(', ')}; stop it with \`car meeting stop ${started.id}\`\n`,
        );
      return this.show(started, ({ id }) => id);
    }

    const input = capturing ? null : await openAudioInput(file ?? '-');
    const client = await this.connect({ memoryNamespace: namespace });
    const view = await MeetingView.create();
    try {
      const options: RecordOptions = {
        id: flags.id,
        title: flags.title,
        summarize: flags.summary,
        signal: this.interrupted(),
        onStarted: (started) => view.started(started),
        onEvent: (event) => this.jsonEnabled() || view.show(event),
        onStopping: (summarize) => view.stopping(summarize),
      };
      const outcome = input
        ? await recordMeeting(client, input, {
            ...options,
            splitChannels: flags['split-channels'] ? { roles: flags.roles?.split(',').map((role) => role.trim()) } : undefined,
          })
        : await recordCapture(client, sources, options);
      view.done();
      return this.report(outcome);
    } finally {
      view.done();
      // A pipe that stays open (Ctrl-C reached only this process) must not keep the command alive.
      if (file === '-' || (input && file === undefined)) process.stdin.destroy();
    }
  }

  /** The outcome, then an error for a meeting the daemon had to end (a failed engine, a vanished source). */
  private report({ result, failure, stoppedElsewhere }: RecordOutcome) {
    const lost = stoppedElsewhere?.stop_reason === 'device_lost' ? (stoppedElsewhere.detail ?? 'a source went away') : null;
    if (failure === null && lost === null) return this.show(result, meetingOutcome);
    if (this.jsonEnabled()) this.logJson(result);
    else this.show(result, meetingOutcome);
    if (lost !== null) throw new CarError(`the meeting stopped: ${lost}`, 'the transcript up to then is saved; check the sources with `car voice devices`');
    throw new CarError(`the meeting failed: ${failure}`, 'the transcript up to the failure is saved; check `car voice providers` and the daemon log');
  }
}
