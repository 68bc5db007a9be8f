import { Flags } from '@oclif/core';
import { stringArg } from '../cli/args.js';
import { CarCommand } from '../cli/base-command.js';
import { generationModelFlag, temperatureFlag } from '../cli/inference.js';
import { streamInference } from '../client/workflows/inference.js';
import { readInput } from '../cli/input.js';
import { progress } from '../cli/render.js';
import type { GenerateRequest } from '../protocol/inference.js';

export default class Infer extends CarCommand {
  static override summary = 'Generate text with a local model through the daemon.';
  static override description =
    'Sends one prompt to `infer` (or `infer_stream` with --stream, printing tokens as they are generated); `-` reads the prompt from stdin. ' +
    'Calls queue behind the admission gate (`car admission status`). Ctrl-C stops generation: with --stream the text so far is kept.';
  static override examples = [
    '<%= config.bin %> infer "Once upon a time" -m stories260K --temperature 0',
    '<%= config.bin %> infer "Write a haiku about rain" --stream --max-tokens 64',
    'cat question.txt | <%= config.bin %> infer - --json | jq .usage',
  ];
  static override args = {
    prompt: stringArg({ description: 'the prompt (a single user turn), or - to read it from stdin', required: true }),
  };
  static override flags = {
    model: generationModelFlag,
    'max-tokens': Flags.integer({ description: 'most tokens to generate (1-8192)', min: 1, max: 8192, default: 512 }),
    temperature: temperatureFlag,
    stream: Flags.boolean({ description: 'print tokens as they are generated' }),
  };

  async run() {
    const { args, flags } = await this.parse(Infer);
    const prompt = args.prompt === '-' ? readInput('-', 'pipe the prompt in, e.g. `echo hello | car infer -`').text : args.prompt;
    const client = await this.connect();
    const request: GenerateRequest = { prompt, model: flags.model, max_tokens: flags['max-tokens'], temperature: flags.temperature };
    if (flags.stream) {
      const json = this.jsonEnabled();
      // Ctrl-C cancels the stream instead of killing the command, so the text so far still ends cleanly.
      const result = await streamInference(client, request, { onText: (chunk) => void (json || process.stdout.write(chunk)), signal: this.interrupted() });
      return this.show(result, ({ stop_reason }) => (stop_reason === 'cancelled' ? '\n[cancelled]' : ''));
    }
    const spinner = await progress('generating');
    // Ctrl-C cancels the call on the daemon ($/cancelRequest) and ends the command with 130.
    return this.show(await client.call('infer', request, { signal: this.interrupted() }).finally(() => spinner.stop()), ({ text }) => text);
  }
}
