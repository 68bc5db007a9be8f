import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { randomHex } from '../../src/daemon/ids.js';
import { tempStateRoot } from './paths.js';

/** When a clip was heard: epoch ms of its first and last sample. */
export interface Clip {
  startedAt: number;
  endedAt: number;
}

/** A private PulseAudio server for one test file: a microphone fed from a FIFO, speakers whose monitor hears what is played. */
export interface SoundServerFixture {
  /** What a daemon or CLI needs in its environment to use this server (and no other). */
  readonly env: Record<string, string>;
  readonly pulseServer: string;
  readonly runtimeDir: string;
  /** Source names: the microphone (the default source) and the speakers' monitor (the default sink's). */
  readonly mic: string;
  readonly monitor: string;
  /** Speaks `pcm` (16 kHz mono s16le) into the microphone, at real-time pace; resolves once it has been heard. */
  say(pcm: Buffer): Promise<Clip>;
  /** Plays `pcm` (16 kHz mono s16le) through a sink (the speakers unless named), so its monitor carries it. */
  play(pcm: Buffer, sink?: string): Promise<Clip>;
  pactl(...args: string[]): Promise<string>;
  /** Another output device (a headset) whose monitor can be recorded, then unplugged. */
  addSink(name: string): Promise<{ monitor: string; remove(): Promise<void> }>;
  /** Kills the server outright, as a crash would. */
  crash(): Promise<void>;
  stop(): Promise<void>;
}

const FEEDER = fileURLToPath(new URL('./mic-feeder.js', import.meta.url));

/** Why the capture tests cannot run here, or `false`: they need Debian's `pulseaudio` and `pulseaudio-utils` (scripts/setup.sh installs both). */
export const soundServerMissing: string | false = (() => {
  for (const tool of ['pulseaudio', 'pactl', 'parec', 'pacat']) {
    if (spawnSync(tool, ['--version'], { stdio: 'ignore' }).error)
      return `${tool} is not installed; run scripts/setup.sh (apt install pulseaudio pulseaudio-utils)`;
  }
  return false;
})();

/** A child that dies with the test process (util-linux's setpriv sets its parent-death signal). */
function tiedSpawn(command: string, args: string[], env: NodeJS.ProcessEnv, stdio: ('pipe' | 'ignore')[]): ChildProcess {
  return spawn('setpriv', ['--pdeathsig', 'KILL', '--', command, ...args], { env, stdio });
}

/**
 * Starts PulseAudio in its own runtime directory under a temp dir: `-n` (no default script)
 * with the native protocol on a unix socket (anonymous auth: the cookie would live in $HOME),
 * `module-null-sink` as the speakers and `module-pipe-source` as the microphone. As root it
 * only warns that it is not meant to run as root; it needs no extra flag in user mode.
 */
export async function startSoundServer(): Promise<SoundServerFixture> {
  const dir = tempStateRoot('car-pulse-');
  const runtimeDir = join(dir, 'run');
  mkdirSync(runtimeDir, { mode: 0o700 });
  const fifo = join(dir, 'mic.fifo');
  const pulseServer = `unix:${join(runtimeDir, 'pulse', 'native')}`;
  const serverEnv: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: dir,
    XDG_RUNTIME_DIR: runtimeDir,
    XDG_CONFIG_HOME: join(dir, 'config'),
    PULSE_SERVER: undefined,
  };
  const env = { PULSE_SERVER: pulseServer, XDG_RUNTIME_DIR: runtimeDir, PULSE_COOKIE: join(dir, 'cookie') };
  const clientEnv: NodeJS.ProcessEnv = { ...process.env, ...env };

  const server = tiedSpawn(
    'pulseaudio',
    [
      '-n',
      '--daemonize=no',
      '--exit-idle-time=-1',
      '--disable-shm=yes',
      '--use-pid-file=no',
      '--system=no',
      '--high-priority=no',
      '--realtime=no',
      '--log-target=stderr',
      '-L',
      'module-native-protocol-unix auth-anonymous=1',
      '-L',
      'module-null-sink sink_name=speakers sink_properties=device.description=Speakers',
      '-L',
      `module-pipe-source source_name=mic file=${fifo} format=s16le rate=16000 channels=1 source_properties=device.description=Microphone`,
    ],
    serverEnv,
    ['ignore', 'ignore', 'pipe'],
  );
  let serverLog = '';
  server.stderr!.on('data', (chunk: Buffer) => (serverLog = (serverLog + chunk.toString()).slice(-4000)));
  const serverExited = once(server, 'exit');

  const pactl = (...args: string[]) =>
    new Promise<string>((resolve, reject) =>
      execFile('pactl', args, { env: clientEnv, timeout: 10_000 }, (error, stdout, stderr) =>
        error ? reject(new Error(`pactl ${args.join(' ')}: ${stderr || error.message}`)) : resolve(stdout),
      ),
    );
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (server.exitCode !== null) throw new Error(`pulseaudio exited with ${server.exitCode}: ${serverLog}`);
    if (
      await pactl('info').then(
        () => true,
        () => false,
      )
    )
      break;
    if (Date.now() > deadline) throw new Error(`pulseaudio did not answer within 15 s: ${serverLog}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  await pactl('set-default-source', 'mic');
  await pactl('set-default-sink', 'speakers');

  const feeder = tiedSpawn(process.execPath, [FEEDER, fifo], process.env, ['pipe', 'pipe', 'ignore']);
  const heard: ((clip: Clip) => void)[] = [];
  createInterface({ input: feeder.stdout! }).on('line', (line) => heard.shift()?.(JSON.parse(line) as Clip));

  return {
    env,
    pulseServer,
    runtimeDir,
    mic: 'mic',
    monitor: 'speakers.monitor',
    say(pcm) {
      const file = join(dir, `clip-${randomHex(4)}.raw`);
      writeFileSync(file, pcm);
      const clip = new Promise<Clip>((resolve) => heard.push(resolve));
      feeder.stdin!.write(`${file}\n`);
      return clip;
    },
    async play(pcm, sink = 'speakers') {
      const player = spawn('pacat', ['--playback', '--raw', '--format=s16le', '--rate=16000', '--channels=1', `--device=${sink}`, '--latency-msec=300'], {
        env: clientEnv,
        stdio: ['pipe', 'ignore', 'pipe'],
      });
      let stderr = '';
      player.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      player.stdin.end(pcm);
      const [code] = await once(player, 'exit');
      if (code !== 0) throw new Error(`pacat exited with ${code}: ${stderr}`);
      // pacat drains before it exits: the last sample has just been played.
      const endedAt = Date.now();
      return { startedAt: endedAt - (pcm.length / 32000) * 1000, endedAt };
    },
    pactl,
    async addSink(name) {
      const module = (await pactl('load-module', 'module-null-sink', `sink_name=${name}`, `sink_properties=device.description=${name}`)).trim();
      return { monitor: `${name}.monitor`, remove: async () => void (await pactl('unload-module', module)) };
    },
    async crash() {
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGKILL');
      await serverExited;
    },
    async stop() {
      feeder.stdin!.end();
      if (server.exitCode === null && server.signalCode === null) server.kill('SIGTERM');
      await serverExited;
    },
  };
}
