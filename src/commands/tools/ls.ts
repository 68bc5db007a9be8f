import { CarCommand } from '../../cli/base-command.js';
import { clip, table } from '../../cli/render.js';

export default class ToolsList extends CarCommand {
  static override summary = 'List the tools client sessions registered for their models to call.';
  static override description =
    'Tools of every session (tools.list as the host role): a client registers tools with tools.register (client.tools.register in the typed client), ' +
    "and only that session's `infer` may call them; they go when it disconnects. RISK high means each call waits for a host approval (car host approve <id>). " +
    "TIMEOUT is how long a call waits for the client (the tool's timeout_ms, else CAR_TOOL_TIMEOUT).";
  static override aliases = ['tools:list', 'tools'];
  static override examples = ['<%= config.bin %> tools ls', '<%= config.bin %> tools ls --json | jq -r ".tools[] | select(.risk == \\"high\\") | .name"'];

  async run() {
    return this.show(await this.request('tools.list', {}, { asHost: true }), ({ tools }) =>
      table(
        tools,
        [
          { header: 'SESSION', get: (tool) => tool.session_id },
          { header: 'NAME', get: (tool) => tool.name },
          { header: 'RISK', get: (tool) => tool.risk },
          { header: 'TIMEOUT', get: (tool) => `${tool.timeout_ms / 1000}s` },
          { header: 'DESCRIPTION', get: (tool) => clip(tool.description ?? '-', 60) },
        ],
        'no tools registered; a client registers them with tools.register (client.tools.register in the typed client)',
      ),
    );
  }
}
