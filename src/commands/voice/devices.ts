import { CarCommand } from '../../cli/base-command.js';
import { devicesTable } from '../../cli/capture.js';

export default class VoiceDevices extends CarCommand {
  static override summary = 'List the sound-server sources the daemon can record (microphones and output monitors).';
  static override description =
    'DEFAULT marks what `mic` records (the default input) and what `system` records (the monitor of the default output: what the speakers play, e.g. the other side of a call). Pass a NAME to `car meeting start --source` or `car voice transcribe --source`.';
  static override examples = [
    '<%= config.bin %> voice devices',
    '<%= config.bin %> voice devices --json | jq -r ".[] | select(.kind == \\"monitor\\") | .name"',
  ];

  async run() {
    return this.show(await this.request('voice.devices.list', {}), devicesTable);
  }
}
