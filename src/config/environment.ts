/**
 * Every `CAR_*` variable car understands (and the few others it needs), read here and nowhere else (like ollama's envconfig).
 * Values are raw strings (trimmed where a blank value means unset); the config module turns
 * them into typed settings and refuses bad ones with a message that names the variable.
 */
export interface CarEnvironment {
  /** `CAR_HOME`: the state root. */
  home?: string;
  /** `CAR_DAEMON_URL`: the daemon clients connect to. */
  daemonUrl?: string;
  /** `CAR_AUTH_TOKEN`: the client token (clients), or the token to install (daemon). */
  authToken?: string;
  /** `CAR_HOST_TOKEN`: the host token clients use for host-only calls. */
  hostToken?: string;
  /** `CAR_MEMORY_NAMESPACE`: the namespace clients bind by default. */
  memoryNamespace?: string;
  /** `CAR_NO_AUTH=1`: start the daemon without auth. */
  noAuth: boolean;
  /** `CAR_NO_APPROVALS=1`: start the daemon without the approval gate. */
  noApprovals: boolean;
  /** `CAR_MODELS_DIR`: the daemon's models directory. */
  modelsDir?: string;
  /** `CAR_SPHINX_MODEL_DIR`: the PocketSphinx acoustic model. */
  sphinxModelDir?: string;
  /** `CAR_SPHINX_IDLE_DECODERS`: loaded PocketSphinx decoders kept between voice sessions. */
  sphinxIdleDecoders?: string;
  /** `CAR_HANDLER_TIMEOUT`: handler deadline in seconds. */
  handlerTimeout?: string;
  /** `CAR_INFERENCE_MAX_CONCURRENT`: admission permits, untrimmed (reported as `env_override`). */
  inferenceMaxConcurrent?: string;
  /** `CAR_LOCAL_DECODE_TIMEOUT_SECS`: bound on one local decode. */
  localDecodeTimeout?: string;
  /** `CAR_TOOL_TIMEOUT`: seconds a tool call waits for its client when the tool sets no `timeout_ms`. */
  toolTimeout?: string;
  /** `CAR_MAX_CONNECTIONS` / `CAR_MAX_PREAUTH_CONNECTIONS`: connection caps (docs/protocol.md#connection-limits). */
  maxConnections?: string;
  maxPreAuthConnections?: string;
  /** `CAR_UI_SESSION_TTL`: seconds a browser stays signed in after redeeming a `car ui` link. */
  uiSessionTtl?: string;
  /** `CAR_LOG_LEVEL`: debug, info, warn or error. */
  logLevel?: string;
  /** `CAR_LOG_ROTATE_MIB` / `CAR_LOG_KEEP_FILES`: the background daemon's log rotation. */
  logRotateMib?: string;
  logKeepFiles?: string;
  /** `CAR_JOURNAL_ROTATE_MIB` / `CAR_JOURNAL_KEEP_MIB`: journal part size and the journals kept in all. */
  journalRotateMib?: string;
  journalKeepMib?: string;
  /** `CAR_PULL_MAX_BYTES`: the largest model a pull writes (bytes, or with a K/M/G/T suffix). */
  pullMaxBytes?: string;
  /** `CAR_PULL_STALL_SECS`: a pull with no data for this long fails. */
  pullStallSecs?: string;
  /** `CAR_PULL_ALLOW_CLIENTS=1`: client-role sessions may pull, not only the host role. */
  pullAllowClients: boolean;
  /** `CAR_REMOTE_TIMEOUT_SECS`: a remote model call with no data for this long fails. */
  remoteTimeoutSecs?: string;
  /** `MODEL_ENDPOINT`, else `HF_ENDPOINT` (node-llama-cpp's and llama.cpp's names): the Hugging Face mirror `hf:` pulls use. */
  huggingFaceEndpoint?: string;
  /** `HF_TOKEN`: sent to the Hugging Face endpoint only, for gated repositories. */
  huggingFaceToken?: string;
  /** `CI`: no spinners. */
  ci: boolean;
  /**
   * `PULSE_SERVER` and `XDG_RUNTIME_DIR`: where the sound server listens (its socket is
   * `$XDG_RUNTIME_DIR/pulse/native` unless `PULSE_SERVER` names another). Its tools, run by the
   * daemon, read them themselves; car reads them to say where it looked when none answers.
   */
  pulseServer?: string;
  runtimeDir?: string;
}

const trimmed = (value: string | undefined): string | undefined => value?.trim() || undefined;
const present = (value: string | undefined): string | undefined => (value === undefined || value === '' ? undefined : value);

export function readEnvironment(env: NodeJS.ProcessEnv = process.env): CarEnvironment {
  return {
    home: present(env.CAR_HOME),
    daemonUrl: present(env.CAR_DAEMON_URL),
    authToken: trimmed(env.CAR_AUTH_TOKEN),
    hostToken: trimmed(env.CAR_HOST_TOKEN),
    memoryNamespace: trimmed(env.CAR_MEMORY_NAMESPACE),
    noAuth: env.CAR_NO_AUTH === '1',
    noApprovals: env.CAR_NO_APPROVALS === '1',
    modelsDir: present(env.CAR_MODELS_DIR),
    sphinxModelDir: present(env.CAR_SPHINX_MODEL_DIR),
    sphinxIdleDecoders: present(env.CAR_SPHINX_IDLE_DECODERS),
    handlerTimeout: present(env.CAR_HANDLER_TIMEOUT),
    inferenceMaxConcurrent: present(env.CAR_INFERENCE_MAX_CONCURRENT),
    localDecodeTimeout: present(env.CAR_LOCAL_DECODE_TIMEOUT_SECS),
    toolTimeout: present(env.CAR_TOOL_TIMEOUT),
    maxConnections: present(env.CAR_MAX_CONNECTIONS),
    maxPreAuthConnections: present(env.CAR_MAX_PREAUTH_CONNECTIONS),
    uiSessionTtl: present(env.CAR_UI_SESSION_TTL),
    logLevel: present(env.CAR_LOG_LEVEL),
    logRotateMib: present(env.CAR_LOG_ROTATE_MIB),
    logKeepFiles: present(env.CAR_LOG_KEEP_FILES),
    journalRotateMib: present(env.CAR_JOURNAL_ROTATE_MIB),
    journalKeepMib: present(env.CAR_JOURNAL_KEEP_MIB),
    pullMaxBytes: present(env.CAR_PULL_MAX_BYTES),
    pullStallSecs: present(env.CAR_PULL_STALL_SECS),
    pullAllowClients: env.CAR_PULL_ALLOW_CLIENTS === '1',
    remoteTimeoutSecs: present(env.CAR_REMOTE_TIMEOUT_SECS),
    huggingFaceEndpoint: trimmed(env.MODEL_ENDPOINT) ?? trimmed(env.HF_ENDPOINT),
    huggingFaceToken: trimmed(env.HF_TOKEN),
    ci: Boolean(env.CI),
    pulseServer: trimmed(env.PULSE_SERVER),
    runtimeDir: present(env.XDG_RUNTIME_DIR),
  };
}

/** The process's environment, as the CLI and the daemon entry point see it. */
export const environment = (): CarEnvironment => readEnvironment();

/** One variable a user named (a remote model's `--api-key-env`), read when it is used, so a restarted daemon picks up a new value. */
export const namedVariable = (name: string): string | undefined => trimmed(process.env[name]);

/** The environment of a daemon child process: this process's, with `overrides` on top. */
export const childEnvironment = (overrides: Record<string, string> = {}): NodeJS.ProcessEnv => ({ ...process.env, ...overrides });
