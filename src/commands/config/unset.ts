import { SettingCommand } from '../../cli/setting-command.js';
import { openSettings } from '../../settings.js';

export default class ConfigUnset extends SettingCommand {
  static override summary = 'Remove one setting, so its default applies again.';
  static override description = 'Removing a setting that is not set is not an error.';
  static override examples = ['<%= config.bin %> config unset port', '<%= config.bin %> config unset model'];

  async run() {
    const key = await this.key();
    const settings = await openSettings();
    const previous = settings.get(key);
    settings.delete(key);
    return this.show({ key, previous: previous ?? null }, () => (previous === undefined ? `${key} was not set` : `${key} unset (was ${previous})`));
  }
}
