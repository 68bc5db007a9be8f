import { SettingCommand } from '../../cli/setting-command.js';
import { openSettings } from '../../settings.js';
import { CarError } from '../../errors.js';

export default class ConfigGet extends SettingCommand {
  static override summary = 'Print one setting.';
  static override examples = ['<%= config.bin %> config get port', '<%= config.bin %> config get model --json'];

  async run() {
    const key = await this.key();
    const value = (await openSettings()).get(key);
    if (value === undefined) throw new CarError(`${key} is not set`, `set it with \`car config set ${key} <value>\``);
    return this.show({ [key]: value }, () => String(value));
  }
}
