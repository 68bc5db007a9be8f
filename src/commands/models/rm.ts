import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';

export default class ModelsRemove extends CarCommand {
  static override summary = 'Delete a model file (and any partial download of it), or remove a remote model.';
  static override aliases = ['models:delete'];
  static override examples = ['<%= config.bin %> models rm stories260K', '<%= config.bin %> models rm gpu'];
  static override args = {
    name: stringArg({ description: 'model name (see `car models ls`)', required: true }),
  };

  async run() {
    const { args } = await this.parse(ModelsRemove);
    const result = await this.request('models.delete', { name: args.name }, { asHost: true });
    return this.show(result, ({ name }) => `deleted model ${name}`);
  }
}
