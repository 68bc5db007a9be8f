import { CarCommand } from '../../cli/base-command.js';
import { formatBytes } from '../../cli/inference.js';

export default class AdmissionStatus extends CarCommand {
  static override summary = 'Show the inference admission gate: permits in use and calls queued.';
  static override description =
    'Inference calls (infer, infer_stream, embed, meeting summaries) each hold one permit; the rest wait in FIFO order. ' +
    'Permits come from RAM (one per 8 GiB, 1-8) unless CAR_INFERENCE_MAX_CONCURRENT (1-64) was set when the daemon started; ' +
    'each remote model (car models add) has its own gate of --max-concurrent permits. ' +
    'The numbers may be stale by the time they print: use them for display, not to throttle.';
  static override examples = ['<%= config.bin %> admission status', '<%= config.bin %> admission status --json | jq .queued'];

  async run() {
    return this.show(await this.request('admission.status', {}), (status) => {
      const source =
        status.source === 'env'
          ? `CAR_INFERENCE_MAX_CONCURRENT=${status.env_override}`
          : status.source === 'ram'
            ? `${formatBytes(status.host_ram_bytes)} of RAM`
            : 'embedder config';
      const local = `permits    ${status.permits_in_use} in use, ${status.permits_available} free, ${status.permits_total} total (from ${source})\nqueued     ${status.queued}`;
      // Each remote model has its own gate (`car models add --max-concurrent`).
      const remote = status.remote.map(
        (gate) => `remote ${gate.model}: ${gate.permits_in_use} in use, ${gate.permits_available} free, ${gate.permits_total} total, ${gate.queued} queued`,
      );
      return [local, ...remote].join('\n');
    });
  }
}
