import { Args } from '@oclif/core';
import { LocalCommand } from '../../cli/base-command.js';
import { SETTINGS_SCHEMA, SETTING_KEYS, openSettings, type SettingKey } from '../../settings.js';
import { ConfigError } from '../../errors.js';

export default class ConfigSet extends LocalCommand {
  static override summary = 'Change one setting (stored in <state root>/config.json).';
  static override examples = ['<%= config.bin %> config set port 9200', '<%= config.bin %> config set url ws://127.0.0.1:9200', '<%= config.bin %> config set model stories260K'];
  static override args = {
    key: Args.string({ description: 'setting name', required: true, options: SETTING_KEYS }),
    value: Args.string({ description: 'new value', required: true }),
  };

  async run(): Promise<void> {
    const { args } = await this.parse(ConfigSet);
    const key = args.key as SettingKey;
    const value = SETTINGS_SCHEMA[key].type === 'integer' ? Number(args.value) : args.value;
    const settings = await openSettings();
    try {
      settings.set(key, value);
    } catch (error) {
      throw new ConfigError(`invalid value '${args.value}' for ${key}: ${(error as Error).message.replace(/^Config schema violation: /, '')}`, `${key} is the ${SETTINGS_SCHEMA[key].description}`);
    }
    this.log(`${key} = ${value}`);
  }
}
