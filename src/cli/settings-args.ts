import { Args } from '@oclif/core';
import { SETTING_KEYS } from '../settings.js';

/** The `<key>` of `car config get|set|unset`: only a known setting name parses. */
export const settingKeyArg = Args.string({ description: 'setting name', required: true, options: SETTING_KEYS });
