import { CarCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';

export default class VoiceProviders extends CarCommand {
  static override summary = 'List the speech engines the daemon offers and whether they can run.';
  static override description =
    'An unavailable provider says why and how to fix it (usually: install the PocketSphinx Debian packages); one that loads but cannot transcribe (a whisper model without real weights) says so too.';
  static override examples = ['<%= config.bin %> voice providers', '<%= config.bin %> voice providers --json'];

  async run() {
    return this.show(await this.request('voice.providers.list', {}), (providers) =>
      table(providers, [
        { header: 'ID', get: (p) => p.id },
        { header: 'KIND', get: (p) => p.kind },
        { header: 'AVAILABLE', get: (p) => (!p.available ? 'no' : p.warning ? 'loads, cannot transcribe' : 'yes') },
        {
          header: 'DESCRIPTION',
          get: (p) =>
            !p.available ? `${p.description}; unavailable: ${p.reason}; ${p.hint}` : p.warning ? `${p.description}; ${p.warning}; ${p.hint}` : p.description,
        },
      ]),
    );
  }
}
