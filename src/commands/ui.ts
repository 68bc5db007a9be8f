import { spawn } from 'node:child_process';
import { Flags } from '@oclif/core';
import { CarCommand } from '../cli/base-command.js';
import { CarError } from '../errors.js';
import { isLoopbackHost } from '../protocol/text.js';

export default class Ui extends CarCommand {
  static override summary = 'Open the browser UI the daemon serves, signed in with a one-time link.';
  static override description =
    'Mints a one-time login code (session.login_code: single use, valid for 60 s) and prints http://127.0.0.1:<port>/#code=<code>. ' +
    'The page removes the code from the address bar and trades it for a browser session cookie (HttpOnly, SameSite=Strict, 12 h unless CAR_UI_SESSION_TTL says otherwise), so a reload stays signed in; ' +
    "the page's Sign out button or a daemon restart ends the session. The token itself never goes into a URL. " +
    'With --host the page gets host rights (resolving approvals of other sessions); that needs the host token (CAR_HOST_TOKEN or run/host-token).';
  static override examples = ['<%= config.bin %> ui', '<%= config.bin %> ui --open', '<%= config.bin %> ui --host --open', '<%= config.bin %> ui --json'];
  static override flags = {
    open: Flags.boolean({ description: 'open the link in the default browser as well' }),
    host: Flags.boolean({ description: 'sign the page in with host rights' }),
  };

  async run() {
    const { flags } = await this.parse(Ui);
    const client = await this.connect(flags.host ? { asHost: true } : {});
    const daemon = new URL(client.url);
    if (!isLoopbackHost(daemon.hostname.replace(/^\[(.*)\]$/, '$1'))) {
      throw new CarError(
        `the daemon at ${client.url} is not on this machine, and the UI is served to loopback only`,
        'run `car ui` on the machine the daemon runs on',
      );
    }
    const { code, expires_at } = await client.call('session.login_code', { role: flags.host ? 'host' : 'client' });
    const url = `http://${daemon.host}/#code=${code}`;
    if (flags.open) await openInBrowser(url);
    return this.show(
      { url, expires_at },
      () => `${url}\n(one-time link, valid until ${new Date(expires_at).toLocaleTimeString()}; run \`car ui\` again for a new one)`,
    );
  }
}

/** The platform's own opener; the browser gets the link as an argument, never through a shell. */
function openInBrowser(url: string): Promise<void> {
  const [command, args] =
    process.platform === 'darwin' ? ['open', [url]] : process.platform === 'win32' ? ['rundll32', ['url.dll,FileProtocolHandler', url]] : ['xdg-open', [url]];
  return new Promise((resolve, reject) => {
    const child = spawn(command, args as string[], { stdio: 'ignore', detached: true });
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(new CarError(`cannot open a browser: ${command} ${error.code ?? error.message}`, 'open the printed link yourself')),
    );
    child.once('spawn', () => {
      child.unref();
      resolve();
    });
  });
}
