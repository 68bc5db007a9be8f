import { stringArg } from '../../cli/args.js';
import { SettingCommand } from '../../cli/setting-command.js';
import { openSettings, parseSetting } from '../../settings.js';

export default class ConfigSet extends SettingCommand {
  static override summary = 'Change one setting (stored in <state root>/config.json).';
  static override description =
    'The value is checked first: port is 1-65535, url starts with ws:// or wss://, model and embedding_model name a model of the models directory.';
  static override examples = [
    '<%= config.bin %> config set port 9200',
    '<%= config.bin %> config set url ws://127.0.0.1:9200',
    '<%= config.bin %> config set model stories260K',
  ];
  static override args = {
    ...SettingCommand.args,
    value: stringArg({ description: 'new value', required: true }),
  };

  async run() {
    const { args } = await this.parse(ConfigSet);
    const key = await this.key();
    const value = parseSetting(key, args.value);
    (await openSettings()).set(key, value);
    return this.show({ [key]: value }, () => `${key} = ${value}`);
  }
}
