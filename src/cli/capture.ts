import { Flags } from '@oclif/core';
import { CarError } from '../errors.js';
import { MIC_DEVICE, SYSTEM_DEVICE, type CaptureDevice, type CaptureSourceSpec } from '../protocol/voice.js';
import { table } from './render.js';

/** Recording from the sound server in the CLI: the `--source` flag, the default sources, and `car voice devices`'s table. */

export const sourceFlagDescription =
  'a sound-server source to record: mic, system or a name from `car voice devices`, with an optional =<role> (e.g. --source mic=me)';

// Non-greedy, so `--source mic call.wav` leaves the file to the argument (and its error) instead of taking it as a second source.
export const sourceFlag = Flags.string({ description: `${sourceFlagDescription}; repeat it for several`, multiple: true, multipleNonGreedy: true });

/** `<name|mic|system>[=<role>]`: the role is everything after the first `=` (source names have none). */
export function parseSource(value: string): CaptureSourceSpec {
  const split = value.indexOf('=');
  const device = (split === -1 ? value : value.slice(0, split)).trim();
  const role = split === -1 ? undefined : value.slice(split + 1).trim();
  if (!device) throw new CarError(`--source '${value}' names no source`, 'use mic, system or a name from `car voice devices`, optionally with =<role>', 2);
  if (role === '')
    throw new CarError(`--source '${value}' has an empty role`, 'write --source <source>=<role>, e.g. --source mic=me, or leave the role out', 2);
  return role === undefined ? { device } : { device, role };
}

/** The sources a captured meeting records: `--source`s as given, else the default microphone; `--system` adds the speakers' monitor. */
export function meetingSources(sources: readonly string[] | undefined, system: boolean): CaptureSourceSpec[] {
  const chosen = sources?.length ? sources.map(parseSource) : [{ device: MIC_DEVICE }];
  return system && !chosen.some((source) => source.device === SYSTEM_DEVICE) ? [...chosen, { device: SYSTEM_DEVICE }] : chosen;
}

/** `car voice devices`: what `mic` and `system` record is marked in DEFAULT. */
export function devicesTable(devices: readonly CaptureDevice[]): string {
  return table(
    devices,
    [
      { header: 'NAME', get: (device) => device.name },
      { header: 'KIND', get: (device) => device.kind },
      { header: 'DEFAULT', get: (device) => (device.default ? (device.kind === 'monitor' ? SYSTEM_DEVICE : MIC_DEVICE) : '') },
      { header: 'DESCRIPTION', get: (device) => device.description },
    ],
    'the sound server has no sources',
  );
}
