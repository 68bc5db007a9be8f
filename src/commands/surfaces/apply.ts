import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { readInput } from '../../cli/input.js';
import { parseEnvelopeFile } from '../../cli/surfaces.js';
import { CarError } from '../../errors.js';
import type { A2uiApplyResult } from '../../protocol/a2ui.js';
import { RpcError } from '../../protocol/errors.js';

export default class SurfacesApply extends CarCommand {
  static override summary = 'Apply A2UI envelopes from a file, to try out a surface.';
  static override description =
    'The file holds one envelope, a JSON array of envelopes, an A2UI sample ({"messages": [...]}) or JSONL (one envelope per line). Envelopes are applied in order with a2ui.apply; the first rejected one stops the run, and the ones before it stay applied. ' +
    'It signs in with the host token, so it may update or delete surfaces another session created (docs/protocol.md#ownership).';
  static override examples = [
    '<%= config.bin %> surfaces apply booking.json',
    '<%= config.bin %> surfaces apply messages.jsonl',
    'cat booking.json | <%= config.bin %> surfaces apply -',
  ];
  static override args = {
    file: stringArg({ description: 'envelope file, or - for stdin', required: true }),
  };

  async run() {
    const { args } = await this.parse(SurfacesApply);
    const { text, name } = readInput(args.file, 'pass the path of a .json or .jsonl file');
    const envelopes = parseEnvelopeFile(text, name);
    if (envelopes.length === 0) throw new CarError(`${name} holds no envelopes`, 'write one envelope per line, e.g. {"version":"v0.9","createSurface":{…}}');
    const client = await this.connect({ asHost: true });
    const results: A2uiApplyResult[] = [];
    for (const [index, envelope] of envelopes.entries()) {
      try {
        results.push(this.show(await client.call('a2ui.apply', { envelope }), describe));
      } catch (error) {
        if (this.jsonEnabled() && results.length) this.logJson(results);
        if (error instanceof RpcError) throw new RpcError(error.code, `envelope ${index + 1} of ${envelopes.length}: ${error.message}`, error.data);
        throw error;
      }
    }
    return results;
  }
}

function describe(result: A2uiApplyResult): string {
  if (result.surface) return `${result.surfaceId}: revision ${result.surface.revision}, ${Object.keys(result.surface.components).length} components`;
  return result.deleted ? `${result.surfaceId}: deleted` : `${result.surfaceId}: not found, nothing to delete`;
}
