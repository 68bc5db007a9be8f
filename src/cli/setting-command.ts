import { stringArg } from './args.js';
import { SETTING_KEYS, type SettingKey } from '../settings.js';
import { LocalCommand } from './base-command.js';

/** `car config get|set|unset`: the `<key>` argument, which parses only as a known setting name. */
export abstract class SettingCommand extends LocalCommand {
  static override args = {
    key: stringArg({ description: 'setting name', required: true, options: SETTING_KEYS }),
  };

  protected async key(): Promise<SettingKey> {
    // oclif's parse() spreads the command class, which copies only its own static fields; config get and unset inherit theirs.
    const { args, baseFlags, enableJsonFlag, flags, strict } = this.ctor;
    const parsed = await this.parse({ args, baseFlags, enableJsonFlag, flags, strict });
    return parsed.args.key as SettingKey;
  }
}
