/**
 * `--auth-token` must never reach another process's argv (visible to `ps`) or the lock file
 * (issue 12, defect 7): the flag is taken out of the arguments and its value travels in
 * the environment (CAR_AUTH_TOKEN) instead.
 */
export function splitAuthToken(argv: readonly string[]): { flags: string[]; token: string | undefined } {
  const flags: string[] = [];
  let token: string | undefined;
  for (let index = 0; index < argv.length; index++) {
    const arg = argv[index]!;
    if (arg === '--auth-token') token = argv[++index];
    else if (arg.startsWith('--auth-token=')) token = arg.slice('--auth-token='.length);
    else flags.push(arg);
  }
  return { flags, token };
}
