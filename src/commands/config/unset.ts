import { LocalCommand } from '../../cli/base-command.js';
import { settingKeyArg } from '../../cli/settings-args.js';
import { openSettings, type SettingKey } from '../../settings.js';

export default class ConfigUnset extends LocalCommand {
  static override summary = 'Remove one setting, so its default applies again.';
  static override description = 'Removing a setting that is not set is not an error.';
  static override examples = ['<%= config.bin %> config unset port', '<%= config.bin %> config unset model'];
  static override args = {
    key: settingKeyArg,
  };

  async run() {
    const { args } = await this.parse(ConfigUnset);
    const settings = await openSettings();
    const key = args.key as SettingKey;
    const previous = settings.get(key);
    settings.delete(key);
    return this.show({ key, previous: previous ?? null }, () => (previous === undefined ? `${key} was not set` : `${key} unset (was ${previous})`));
  }
}
