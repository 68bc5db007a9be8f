import { Args } from '@oclif/core';
import { SETTING_KEYS, type SettingKey } from '../settings.js';
import { LocalCommand } from './base-command.js';

/** `car config get|set|unset`: the `<key>` argument, which parses only as a known setting name. */
export abstract class SettingCommand extends LocalCommand {
  static override args = {
    key: Args.string({ description: 'setting name', required: true, options: SETTING_KEYS }),
  };

  protected async key(): Promise<SettingKey> {
    const { args } = await this.parse();
    return args.key as SettingKey;
  }
}
