import { Flags } from '@oclif/core';
import { stringArg } from '../../cli/args.js';
import { CarCommand } from '../../cli/base-command.js';
import { formatBytes } from '../../cli/inference.js';
import { isInteractive, progress } from '../../cli/render.js';

export default class ModelsPull extends CarCommand {
  static override summary = 'Download a model into the models directory.';
  static override description =
    'Takes hf:<owner>/<repo>/<file>.gguf (Hugging Face; HF_ENDPOINT or MODEL_ENDPOINT in the daemon’s environment point it at a mirror), ' +
    "or an http(s) URL of a .gguf file or a whisper.cpp ggml-*.bin. The download goes to <file>.partial and takes the model's name only once checked: " +
    "the size against the server's, the sha256 when you give one, and a readable model header. An interrupted pull (Ctrl-C, a lost connection) " +
    'keeps its partial file; pulling again resumes it. A refused or unresolvable server fails at once, a silent one after CAR_PULL_STALL_SECS (30 s), ' +
    'and no pull writes more than CAR_PULL_MAX_BYTES (128 GiB) — both set where the daemon starts. Signs in with the host token.';
  static override examples = [
    '<%= config.bin %> models pull hf:bartowski/SmolLM2-135M-Instruct-GGUF/SmolLM2-135M-Instruct-Q4_K_M.gguf',
    '<%= config.bin %> models pull https://example.com/models/model.gguf --sha256 047bf464…',
    '<%= config.bin %> models pull https://huggingface.co/ggerganov/whisper.cpp/resolve/main/ggml-tiny.en.bin',
  ];
  static override args = {
    uri: stringArg({ description: 'hf:<owner>/<repo>/<file>.gguf or an http(s) URL', required: true }),
  };
  static override flags = {
    sha256: Flags.string({ description: 'expected sha256 of the file (64 hex digits)' }),
  };

  async run() {
    const { args, flags } = await this.parse(ModelsPull);
    const client = await this.connect({ asHost: true });
    const spinner = this.jsonEnabled() ? null : await progress(`pulling ${args.uri}`);
    const started = Date.now();
    client.on('models.pull.progress', ({ uri, downloaded, total }) => {
      if (uri === args.uri) spinner?.update(progressLine(downloaded, total, Date.now() - started));
    });
    // Ctrl-C closes the connection; the daemon stops the download and keeps the partial file for the next pull.
    let interrupted = false;
    const interrupt = () => {
      interrupted = true;
      const message = 'interrupted; the partial file is kept, run the same pull again to resume';
      if (isInteractive()) spinner?.fail(message);
      else process.stderr.write(`${message}\n`);
      client.close();
    };
    const signal = this.interrupted();
    signal.addEventListener('abort', interrupt, { once: true });
    try {
      const pulled = await client.call('models.pull', { uri: args.uri, sha256: flags.sha256 }).catch((error: unknown) => {
        // The closed connection is how the interrupt works, not an error to report.
        if (!interrupted) throw error;
        process.exitCode = 130;
        return null;
      });
      spinner?.stop();
      if (pulled === null) return null;
      return this.show(
        pulled,
        ({ resumed, name, size_bytes, architecture, chat_template, sha256 }) =>
          `${resumed ? 'resumed and pulled' : 'pulled'} ${name} (${formatBytes(size_bytes)}, ${architecture ?? 'unknown architecture'}${chat_template ? ', chat template' : ''})\nsha256 ${sha256}`,
      );
    } finally {
      signal.removeEventListener('abort', interrupt);
      spinner?.stop();
    }
  }
}

/** `1.2 MB / 14.5 MB  3.1 MB/s  ETA 0:04`, or `1.2 MB  3.1 MB/s` when the server announces no length. */
function progressLine(downloaded: number, total: number | null, elapsedMs: number): string {
  const speed = elapsedMs > 0 ? (downloaded / elapsedMs) * 1000 : 0;
  if (total === null) return `${formatBytes(downloaded)}  ${formatBytes(speed)}/s`;
  const eta = speed > 0 && total > downloaded ? Math.ceil((total - downloaded) / speed) : 0;
  return `${formatBytes(downloaded)} / ${formatBytes(total)}  ${formatBytes(speed)}/s  ETA ${Math.floor(eta / 60)}:${String(eta % 60).padStart(2, '0')}`;
}
