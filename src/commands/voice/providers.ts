import { Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';

export default class VoiceProviders extends CarCommand {
  static override summary = 'List the speech engines the daemon offers and whether they can run.';
  static override description = 'An unavailable provider says why and how to fix it (usually: install the PocketSphinx Debian packages).';
  static override examples = ['<%= config.bin %> voice providers', '<%= config.bin %> voice providers --json'];
  static override flags = {
    json: Flags.boolean({ description: 'print the voice.providers.list result as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(VoiceProviders);
    const client = await this.connect(flags);
    const providers = await client.call('voice.providers.list', {});
    if (flags.json) {
      this.printJson(providers);
      return;
    }
    process.stdout.write(
      table(providers, [
        { header: 'ID', get: (p) => p.id },
        { header: 'KIND', get: (p) => p.kind },
        { header: 'AVAILABLE', get: (p) => (p.available ? 'yes' : 'no') },
        { header: 'DESCRIPTION', get: (p) => (p.available ? p.description : `${p.description}; unavailable: ${p.reason}; ${p.hint}`) },
      ]),
    );
  }
}
