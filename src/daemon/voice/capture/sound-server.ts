import { execFile } from 'node:child_process';
import { childEnvironment } from '../../../config/environment.js';
import { invalidParams, notFound, unavailable, type RpcError } from '../../../protocol/errors.js';
import { MIC_DEVICE, SYSTEM_DEVICE, type CaptureDevice, type CaptureSourceSpec } from '../../../protocol/voice.js';
import { SourceRecording, type RecordingListener, type ResolvedSource } from './source-recording.js';

export type { ResolvedSource } from './source-recording.js';
import { SourceRemovals } from './source-removals.js';

export interface SoundServerOptions {
  /** `PULSE_SERVER`: passed on to the tools, and named in errors. */
  pulseServer?: string;
  /** `XDG_RUNTIME_DIR`: where the tools find the server's socket unless `pulseServer` is set; named in errors. */
  runtimeDir?: string;
}

/** What `pactl --format=json list sources` says of one source (PulseAudio ≥ 16, and PipeWire's pulse service). */
interface ListedSource {
  index: number;
  name: string;
  description?: string;
  /** For a monitor: the sink it monitors (PulseAudio's JSON names the field this way). */
  monitor_source?: string;
  properties?: Record<string, string>;
}

const PACTL_TIMEOUT_MS = 5000;

/**
 * The desktop's sound server (PulseAudio, or PipeWire's PulseAudio service) through its own
 * command-line tools: `pactl` lists the sources and the defaults, `parec` records one source
 * as 16 kHz mono s16le on its stdout, `pactl subscribe` reports sources that vanish. Every
 * child is tied to the daemon's life (tied-process.ts).
 */
export class SoundServer {
  private readonly env: NodeJS.ProcessEnv;
  private readonly removals: SourceRemovals;

  constructor(private readonly options: SoundServerOptions = {}) {
    this.env = childEnvironment(options.pulseServer === undefined ? {} : { PULSE_SERVER: options.pulseServer });
    this.removals = new SourceRemovals(this.env);
  }

  /** Every source, the default input and the default output's monitor marked. */
  async devices(): Promise<CaptureDevice[]> {
    return (await this.survey()).devices.map(({ index: _index, ...device }) => device);
  }

  /**
   * The sources to record, each with its role (the given one, else `mic` for an input and
   * `system` for a monitor). Refuses unknown names, missing defaults and two sources with one role.
   */
  async resolve(specs: readonly CaptureSourceSpec[]): Promise<ResolvedSource[]> {
    const survey = await this.survey();
    const resolved = specs.map((spec, position) => {
      const device = findDevice(survey, spec.device, { field: `audio_source.sources.${position}.device` });
      const role = spec.role ?? (spec.device === MIC_DEVICE ? 'mic' : spec.device === SYSTEM_DEVICE ? 'system' : device.kind === 'monitor' ? 'system' : 'mic');
      return { index: device.index, name: device.name, description: device.description, kind: device.kind, role };
    });
    const roles = resolved.map((source) => source.role);
    const repeated = roles.find((role, position) => roles.indexOf(role) !== position);
    if (repeated !== undefined) {
      throw invalidParams(
        `two sources would carry the role '${repeated}'; give each source its own role (e.g. --source <name>=<role>, or role in audio_source.sources)`,
        { field: 'audio_source.sources' },
      );
    }
    return resolved;
  }

  /** Starts recording `source`; `started` settles once audio flows (or the recording failed to start). */
  record(source: ResolvedSource, listener: RecordingListener): SourceRecording {
    return new SourceRecording(source, this.env, this.removals, listener, (stderr) => this.failure(stderr));
  }

  private async survey(): Promise<Survey> {
    const [listed, defaultSource, defaultSink] = await Promise.all([
      this.pactl(['--format=json', 'list', 'sources']),
      this.pactl(['get-default-source']).then(
        (name) => name.trim(),
        () => '',
      ),
      this.pactl(['get-default-sink']).then(
        (name) => name.trim(),
        () => '',
      ),
    ]);
    let sources: ListedSource[];
    try {
      sources = JSON.parse(listed) as ListedSource[];
    } catch {
      throw unavailable(
        "the sound server's source list cannot be read (pactl printed no JSON); car needs pactl from PulseAudio 16 or later (`apt install pulseaudio-utils`)",
      );
    }
    const monitors = (source: ListedSource) => source.properties?.['device.class'] === 'monitor' || Boolean(source.monitor_source);
    const defaultMonitor =
      sources.find((source) => monitors(source) && defaultSink !== '' && (source.monitor_source === defaultSink || source.name === `${defaultSink}.monitor`))
        ?.name ?? null;
    const devices = sources.map((source) => ({
      index: source.index,
      name: source.name,
      description: source.description ?? source.name,
      kind: monitors(source) ? ('monitor' as const) : ('input' as const),
      default: source.name === defaultSource || source.name === defaultMonitor,
    }));
    return { devices, defaultSource: devices.some((device) => device.name === defaultSource) ? defaultSource : null, defaultMonitor };
  }

  private pactl(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile('pactl', args, { env: this.env, timeout: PACTL_TIMEOUT_MS, encoding: 'utf8' }, (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'ENOENT') return reject(toolsMissing());
        if (error.killed)
          return reject(
            unavailable(
              `the sound server at ${this.where()} did not answer within ${PACTL_TIMEOUT_MS / 1000} s; restart it (\`pulseaudio -k && pulseaudio --start\`, or \`systemctl --user restart pipewire-pulse\`)`,
            ),
          );
        reject(this.failure(stderr));
      });
    });
  }

  /** Why a tool failed, as an error that says what to do. */
  private failure(stderr: string): RpcError {
    if (/connection (refused|failure)|no such file or directory|pa_context_connect|access denied|timeout/i.test(stderr)) {
      return unavailable(
        `no sound server answers at ${this.where()}: PulseAudio (or PipeWire's pulse service) is not running there; start it with \`pulseaudio --start\` (on PipeWire: \`systemctl --user start pipewire-pulse\`)`,
        {
          hint: 'none installed? `apt install pulseaudio` (or `apt install pipewire-pulse`); one listening elsewhere? set PULSE_SERVER for the daemon (`car daemon restart` keeps it)',
        },
      );
    }
    const cause = stderr.trim().split('\n').at(-1) || 'no message';
    return unavailable(`the sound server refused: ${cause}; check it with \`pactl info\``);
  }

  private where(): string {
    if (this.options.pulseServer) return `PULSE_SERVER=${this.options.pulseServer}`;
    if (this.options.runtimeDir) return `${this.options.runtimeDir}/pulse/native`;
    return 'its default socket (XDG_RUNTIME_DIR is not set)';
  }
}

interface Survey {
  devices: (CaptureDevice & { index: number })[];
  /** What `mic` and `system` record; `null` when the server has no such default. */
  defaultSource: string | null;
  defaultMonitor: string | null;
}

function findDevice({ devices, defaultSource, defaultMonitor }: Survey, wanted: string, field: { field: string }): CaptureDevice & { index: number } {
  const name = wanted === MIC_DEVICE ? defaultSource : wanted === SYSTEM_DEVICE ? defaultMonitor : wanted;
  if (name === null && wanted === MIC_DEVICE)
    throw notFound("the sound server has no default input, so there is no 'mic' to record; name a source instead (see `car voice devices`)", field);
  if (name === null)
    throw notFound(
      "the sound server has no default output to monitor, so there is no 'system' to record; name a monitor source instead (see `car voice devices`)",
      field,
    );
  const found = devices.find((device) => device.name === name);
  if (!found) {
    const names = devices.map((device) => device.name);
    throw invalidParams(
      `the sound server has no source '${wanted}'; use 'mic', 'system' or one of: ${names.join(', ') || '(none)'} (see \`car voice devices\`)`,
      { ...field, allowed: [MIC_DEVICE, SYSTEM_DEVICE, ...names] },
    );
  }
  return found;
}

export function toolsMissing(): RpcError {
  return unavailable(
    "the sound server's tools are not installed (pactl and parec); install them with `apt install pulseaudio-utils`, which also works with PipeWire's pulse service",
  );
}
