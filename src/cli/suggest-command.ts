import type { Hook } from '@oclif/core';

/**
 * `command_not_found`: names the closest command in the error, so a typo is answered even
 * when nobody can be asked (a script, a pipe). On a terminal @oclif/plugin-not-found also
 * offers to run it; when it does, its success wins over this failure.
 */
const suggestCommand: Hook.CommandNotFound = async function ({ id, config }) {
  const ids = config.commands.filter((command) => !command.hidden).flatMap((command) => [command.id, ...command.aliases]);
  const closest = ids.map((candidate) => ({ candidate, distance: editDistance(id, candidate) })).sort((a, b) => a.distance - b.distance)[0];
  const typed = id.replaceAll(':', ' ');
  const near = closest && closest.distance <= Math.max(2, Math.floor(id.length / 3));
  const next = near ? `did you mean \`${config.bin} ${closest.candidate.replaceAll(':', ' ')}\`?` : `run \`${config.bin} help\` for the list`;
  this.error(`'${typed}' is not a ${config.bin} command; ${next}`, { exit: 127 });
};

/** Levenshtein distance, one row at a time. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = current;
  }
  return previous[b.length]!;
}

export default suggestCommand;
