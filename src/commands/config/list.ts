import { LocalCommand } from '../../cli/base-command.js';
import { table } from '../../cli/render.js';
import { SETTINGS_SCHEMA, SETTING_KEYS, openSettings } from '../../settings.js';

export default class ConfigList extends LocalCommand {
  static override summary = 'List every setting and its value.';
  static override aliases = ['config:ls'];
  static override examples = ['<%= config.bin %> config list', '<%= config.bin %> config list --json'];

  async run() {
    await this.parse(ConfigList);
    const settings = await openSettings();
    return this.show(settings.store, (store) =>
      table(SETTING_KEYS, [
        { header: 'KEY', get: (key) => key },
        { header: 'VALUE', get: (key) => String(store[key] ?? '-') },
        { header: 'ABOUT', get: (key) => SETTINGS_SCHEMA[key].description },
      ]),
    );
  }
}
