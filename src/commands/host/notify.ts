import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { eventLine } from '../../cli/host.js';
import { CarError } from '../../errors.js';
import { DEFAULT_NOTIFY_KIND } from '../../protocol/host.js';

export default class HostNotify extends CarCommand {
  static override summary = 'Send a notification to every host subscriber.';
  static override description = `Emits one host.event (host.notify) with the message; the kind defaults to ${DEFAULT_NOTIFY_KIND}. Kinds starting with agent., approval. or a2ui. belong to the daemon.`;
  static override examples = [
    '<%= config.bin %> host notify "build finished"',
    '<%= config.bin %> host notify "tests failed" --kind ci.failed --payload \'{"failed":3}\'',
    '<%= config.bin %> host notify "indexing" --agent agent-1a2b3c4d5e6f',
  ];
  static override args = {
    message: stringArg({ description: 'the notification text', required: true }),
  };
  static override flags = {
    kind: Flags.string({ description: 'event kind', default: DEFAULT_NOTIFY_KIND }),
    agent: Flags.string({ description: 'id of the agent this is about' }),
    payload: Flags.string({ description: 'JSON value attached to the event' }),
  };

  async run() {
    const { args, flags } = await this.parse(HostNotify);
    const params = {
      kind: flags.kind,
      message: args.message,
      agent_id: flags.agent,
      payload: flags.payload === undefined ? undefined : parsePayload(flags.payload),
    };
    return this.show(await this.request('host.notify', params), eventLine);
  }
}

function parsePayload(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new CarError('--payload is not valid JSON', `quote it for the shell, e.g. --payload '{"failed":3}'`, 2);
  }
}
