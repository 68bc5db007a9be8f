import { CarCommand } from '../../cli/base-command.js';
import { ago, table } from '../../cli/render.js';
import { ownerLabel, until } from '../../cli/surfaces.js';

export default class SurfacesList extends CarCommand {
  static override summary = 'List the live A2UI surfaces.';
  static override description = 'One row per surface the daemon holds; expired surfaces are not shown. `car surfaces show <id>` prints one in full.';
  static override aliases = ['surfaces:list'];
  static override examples = ['<%= config.bin %> surfaces ls', '<%= config.bin %> surfaces ls --json | jq ".[].surfaceId"'];

  async run() {
    const empty = 'no surfaces (apply one with `car surfaces apply <file.json>`)';
    return this.show(await this.request('a2ui.surfaces', {}), (surfaces) =>
      table(
        surfaces,
        [
          { header: 'ID', get: (s) => s.surfaceId },
          { header: 'OWNER', get: (s) => ownerLabel(s.owner) },
          { header: 'COMPONENTS', get: (s) => String(Object.keys(s.components).length) },
          { header: 'REVISION', get: (s) => String(s.revision) },
          { header: 'UPDATED', get: (s) => ago(s.updatedAt) },
          { header: 'EXPIRES', get: (s) => until(s.expiresAt) },
        ],
        empty,
      ),
    );
  }
}
