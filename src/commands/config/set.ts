import { Args } from '@oclif/core';
import { LocalCommand } from '../../cli/base-command.js';
import { settingKeyArg } from '../../cli/settings-args.js';
import { openSettings, parseSetting, type SettingKey } from '../../settings.js';

export default class ConfigSet extends LocalCommand {
  static override summary = 'Change one setting (stored in <state root>/config.json).';
  static override description = 'The value is checked first: port is 1-65535, url starts with ws:// or wss://, model and embedding_model name a model of the models directory.';
  static override examples = ['<%= config.bin %> config set port 9200', '<%= config.bin %> config set url ws://127.0.0.1:9200', '<%= config.bin %> config set model stories260K'];
  static override args = {
    key: settingKeyArg,
    value: Args.string({ description: 'new value', required: true }),
  };

  async run() {
    const { args } = await this.parse(ConfigSet);
    const key = args.key as SettingKey;
    const value = parseSetting(key, args.value);
    (await openSettings()).set(key, value);
    return this.show({ [key]: value }, () => `${key} = ${value}`);
  }
}
