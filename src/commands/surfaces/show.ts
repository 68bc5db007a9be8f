import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { surfaceReport } from '../../cli/surfaces.js';
import { CarError } from '../../errors.js';

export default class SurfacesShow extends CarCommand {
  static override summary = 'Show one A2UI surface: its component tree and data model.';
  static override examples = ['<%= config.bin %> surfaces show booking-form', '<%= config.bin %> surfaces show booking-form --json | jq .dataModel'];
  static override args = {
    id: stringArg({ description: 'surface id (see `car surfaces ls`)', required: true }),
  };

  async run() {
    const { args } = await this.parse(SurfacesShow);
    const surface = await this.request('a2ui.get', { surfaceId: args.id });
    if (!surface) throw new CarError(`no live surface '${args.id}'`, 'list surfaces with `car surfaces ls`; expired surfaces are gone');
    return this.show(surface, surfaceReport);
  }
}
