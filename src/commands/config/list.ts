import { Flags } from '@oclif/core';
import { LocalCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';
import { SETTINGS_SCHEMA, SETTING_KEYS, openSettings } from '../../settings.js';

export default class ConfigList extends LocalCommand {
  static override summary = 'List every setting and its value.';
  static override aliases = ['config:ls'];
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --json'];
  static override flags = {
    json: Flags.boolean({ description: 'print the settings as JSON' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(ConfigList);
    const settings = await openSettings();
    if (flags.json) {
      this.printJson(settings.store);
      return;
    }
    const rows = SETTING_KEYS.map((key) => ({ key, value: settings.get(key), about: SETTINGS_SCHEMA[key].description }));
    process.stdout.write(
      table(rows, [
        { header: 'KEY', get: (r) => r.key },
        { header: 'VALUE', get: (r) => (r.value === undefined ? '-' : String(r.value)) },
        { header: 'ABOUT', get: (r) => r.about },
      ]),
    );
  }
}
