import { stringArg } from '../cli/args.js';
import { existsSync } from 'node:fs';
import { LocalCommand } from '../cli/base-command.js';
import { table } from '../cli/render.js';
import { replayJournal, type ReplayState } from '../daemon/journal/replay.js';
import { CarError } from '../errors.js';

export default class Replay extends LocalCommand {
  static override summary = 'Fold a journal file into the state it records (offline).';
  static override description = 'Reads a JSONL journal from <state root>/journals without contacting the daemon.';
  static override examples = ['<%= config.bin %> replay ~/.car/journals/20261124T101500Z-4242.jsonl', '<%= config.bin %> replay journal.jsonl --json'];
  static override args = {
    file: stringArg({ description: 'journal file (JSONL)', required: true }),
  };

  async run() {
    const { args } = await this.parse(Replay);
    if (!existsSync(args.file)) throw new CarError(`no journal file at ${args.file}`, 'journals live in <state root>/journals (see `car daemon status`)', 2);
    const state = replayJournal(args.file);
    if (!this.jsonEnabled()) for (const problem of state.problems) process.stderr.write(`warning: ${problem}\n`);
    return this.show(state, summary);
  }
}

function summary(state: ReplayState): string {
  const open = state.sessions.filter((s) => !s.removed_at).length;
  const rows: [string, string][] = [
    ['events', String(state.events)],
    ['span', `${state.first_ts ?? '-'} .. ${state.last_ts ?? '-'}`],
    ['daemon', state.daemon.stopped_at ? `stopped (${state.daemon.stop_reason})` : state.daemon.started_at ? 'running or killed' : '-'],
    ['sessions', `${state.sessions.length} (${open} not removed)`],
    ['not signed in', `${state.preauth.closed} connections closed, ${state.preauth.refused} credentials refused`],
    ['host agents', String(state.host.agents.length)],
    ['approvals', String(state.host.approvals.length)],
    ['surfaces', String(state.a2ui.surfaces.length)],
    ['meetings', state.meetings.map((m) => `${m.id}:${m.status}`).join(', ') || '0'],
    ['memory', `${state.memory.added} added, ${state.memory.deleted} deleted`],
    ['inference', `${state.inference.calls} calls, ${state.inference.tokens_in} tokens in, ${state.inference.tokens_out} out`],
  ];
  return table(rows, [
    { header: 'WHAT', get: (r) => r[0] },
    { header: 'STATE', get: (r) => r[1] },
  ]);
}
