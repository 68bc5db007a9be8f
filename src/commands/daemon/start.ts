import { Flags } from '@oclif/core';
import { LocalCommand } from '../../cli/base-command.js';
import { modelsDirFlag, startInBackground } from '../../cli/daemon-control.js';
import { progress } from '../../cli/render.js';
import { daemonConfig, daemonVariables } from '../../config/daemon.js';
import { environment } from '../../config/environment.js';
import { log } from '../../daemon/log.js';
import { runDaemon } from '../../daemon/run.js';
import { splitAuthToken } from '../../cli/secret-flags.js';
import { resolveStateRoot } from '../../paths.js';
import { modelsDirSetting, readSetting } from '../../settings.js';

export default class DaemonStart extends LocalCommand {
  static override summary = 'Start the car daemon (in the background unless --foreground).';
  static override description =
    'Starts the daemon for this state root (CAR_HOME, default ~/.car) and waits until it answers. ' +
    'Only one daemon runs per state root: if one is already running this prints where and exits 0, or exits 1 when it listens on another port than --port asks for. ' +
    'A background daemon logs to <state root>/logs/daemon.log (`car daemon logs`).';
  static override examples = [
    '<%= config.bin %> daemon start',
    '<%= config.bin %> daemon start --port 9200 --models-dir ~/models',
    'CAR_HOME=/tmp/car-dev <%= config.bin %> daemon start --foreground --no-auth',
  ];
  static override flags = {
    port: Flags.integer({ char: 'p', description: 'port to listen on [default: the `port` setting, else 9100; 0 picks a free port]', min: 0, max: 65535 }),
    bind: Flags.string({ description: 'address to bind', default: '127.0.0.1' }),
    'allow-remote': Flags.boolean({ description: 'allow a non-loopback --bind (the token is then the only guard)' }),
    auth: Flags.boolean({ description: 'require the token (--no-auth or CAR_NO_AUTH=1 turns auth off)', default: true, allowNo: true }),
    'auth-token': Flags.string({ description: 'token to install instead of minting one (also CAR_AUTH_TOKEN)' }),
    approvals: Flags.boolean({
      description: 'human approval for high-risk methods (--no-approvals or CAR_NO_APPROVALS=1 turns it off)',
      default: true,
      allowNo: true,
    }),
    'journal-dir': Flags.string({ description: 'journal directory; a leading ~/.car/ means the state root', default: '~/.car/journals' }),
    'models-dir': modelsDirFlag,
    foreground: Flags.boolean({ description: 'run in this process and log to stderr' }),
    'require-auth': Flags.boolean({ hidden: true, description: 'deprecated: auth is on by default' }),
  };

  async run() {
    const { flags } = await this.parse(DaemonStart);
    if (flags['require-auth']) process.stderr.write('warning: --require-auth is deprecated and has no effect; auth is on by default\n');
    const env = environment();
    if (!flags.auth || env.noAuth)
      process.stderr.write(
        'warning: authentication is OFF: any program on this machine can connect to the daemon with host rights; drop --no-auth (and CAR_NO_AUTH) to require the token\n',
      );
    if (!flags.foreground) return this.startInBackground(flags.port);

    const port = readSetting('port');
    const config = daemonConfig(
      { ...flags, allowRemote: flags['allow-remote'], authToken: flags['auth-token'], journalDir: flags['journal-dir'], modelsDir: flags['models-dir'] },
      env,
      { port: typeof port === 'number' ? port : undefined, modelsDir: modelsDirSetting() },
      resolveStateRoot(env.home),
    );
    process.on('uncaughtException', (error) => log.failure('error', 'uncaught exception; still serving', error));
    process.on('unhandledRejection', (error) => log.failure('error', 'unhandled rejection; still serving', error));
    // The token never reaches the lock (issue 12, defect 7): a restart finds it in the token file.
    await runDaemon({ ...config, flags: splitAuthToken(this.argv).flags.filter((arg) => arg !== '--foreground'), env: daemonVariables(env) });
  }

  private async startInBackground(port: number | undefined) {
    const spinner = await progress('starting the car daemon');
    const outcome = await startInBackground(this.argv, spinner, { port }).catch((error: unknown) => {
      spinner.fail('the car daemon did not start');
      throw error;
    });
    const { lock } = outcome;
    if (outcome.kind === 'already_running') spinner.stop();
    else spinner.succeed('car daemon started');
    return this.show(outcome, () =>
      outcome.kind === 'already_running'
        ? `already running (pid ${lock.pid}, ${lock.url})`
        : [`url:    ${lock.url}`, `pid:    ${lock.pid}`, `token:  ${outcome.tokenFile ?? 'none (auth disabled)'}`, `log:    ${outcome.logFile}`].join('\n'),
    );
  }
}
