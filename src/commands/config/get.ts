import { LocalCommand } from '../../cli/base-command.js';
import { settingKeyArg } from '../../cli/settings-args.js';
import { openSettings, type SettingKey } from '../../settings.js';
import { CarError } from '../../errors.js';

export default class ConfigGet extends LocalCommand {
  static override summary = 'Print one setting.';
  static override examples = ['<%= config.bin %> config get port', '<%= config.bin %> config get model --json'];
  static override args = {
    key: settingKeyArg,
  };

  async run() {
    const { args } = await this.parse(ConfigGet);
    const value = (await openSettings()).get(args.key as SettingKey);
    if (value === undefined) throw new CarError(`${args.key} is not set`, `set it with \`car config set ${args.key} <value>\``);
    return this.show({ [args.key]: value }, () => String(value));
  }
}
