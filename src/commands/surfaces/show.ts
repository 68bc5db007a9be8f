import { Args, Flags } from '@oclif/core';
import { CarCommand } from '../../cli/base-command.js';
import { ago } from '../../cli/render.js';
import { componentTree, ownerLabel, until } from '../../cli/surfaces.js';
import { CarError } from '../../errors.js';

export default class SurfacesShow extends CarCommand {
  static override summary = 'Show one A2UI surface: its component tree and data model.';
  static override examples = ['<%= config.bin %> surfaces show booking-form', '<%= config.bin %> surfaces show booking-form --json | jq .dataModel'];
  static override args = {
    id: Args.string({ description: 'surface id (see `car surfaces ls`)', required: true }),
  };
  static override flags = {
    json: Flags.boolean({ description: 'print the a2ui.get result (the whole surface record) as JSON' }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(SurfacesShow);
    const client = await this.connect(flags);
    const surface = await client.call('a2ui.get', { surfaceId: args.id });
    if (!surface) throw new CarError(`no live surface '${args.id}'`, 'list surfaces with `car surfaces ls`; expired surfaces are gone');
    if (flags.json) {
      this.printJson(surface);
      return;
    }
    this.log(`surface     ${surface.surfaceId}`);
    this.log(`catalog     ${surface.catalogId}`);
    this.log(`owner       ${ownerLabel(surface.owner)}`);
    this.log(`revision    ${surface.revision} (updated ${ago(surface.updatedAt)}, expires ${until(surface.expiresAt)})`);
    if (surface.theme) this.log(`theme       ${JSON.stringify(surface.theme)}`);
    this.log('');
    this.log(`components (${Object.keys(surface.components).length})`);
    for (const line of componentTree(surface)) this.log(`  ${line}`);
    this.log('');
    this.log('data model');
    for (const line of JSON.stringify(surface.dataModel, null, 2).split('\n')) this.log(`  ${line}`);
  }
}
