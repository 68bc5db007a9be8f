import type { DaemonStatus, MemoryScope } from '../../protocol/core.js';
import type { A2uiLimits } from '../../protocol/a2ui.js';
import { authMethods } from '../auth/methods.js';
import { AuthPolicy } from '../auth/tokens.js';
import { InferenceAdmission } from '../inference/admission.js';
import type { InferenceEngine } from '../inference/engine.js';
import { LocalInference } from '../inference/local-inference.js';
import type { PullPolicy } from '../inference/model-pull.js';
import { Journal, type JournalLimits } from '../journal/journal.js';
import { log } from '../log.js';
import type { Memgine } from '../memgine/memgine.js';
import { MemoryService } from '../memgine/memory-service.js';
import { MeetingRegistry } from '../meetings/registry.js';
import { A2uiSurfaceStore } from '../a2ui/store.js';
import { A2uiRouteAuthStore } from '../a2ui/route-auth.js';
import { HostState, type ApprovalGateConfig } from '../host/host-state.js';
import { discoveryMethods } from '../rpc/discovery.js';
import { Dispatcher, type BinaryFrameHandler } from '../rpc/dispatcher.js';
import type { ApprovalGate } from '../rpc/method-table.js';
import { MethodRegistry } from '../rpc/registry.js';
import type { LoginRole } from '../auth/login-codes.js';
import { ClientSession, type SessionChannel } from '../sessions/client-session.js';
import { SessionLifecycle } from '../sessions/lifecycle.js';
import { sessionMethods } from '../sessions/methods.js';
import { SessionListing } from '../sessions/session-list.js';
import { SignInJournal } from '../sessions/sign-in-journal.js';
import { VoiceSessionRegistry, type VoiceOptions } from '../voice/registry.js';
import { toolsMethods } from '../tools/methods.js';
import { ToolService } from '../tools/tool-service.js';
import { SoundServer, type SoundServerOptions } from '../voice/capture/sound-server.js';
import { a2uiMethods } from '../a2ui/methods.js';
import { hostMethods } from '../host/methods.js';
import { inferenceMethods } from '../inference/methods.js';
import { meetingMethods } from '../meetings/methods.js';
import { memoryMethods } from '../memgine/methods.js';
import { voiceMethods } from '../voice/methods.js';
import type { CapabilityHost, Hook } from './capability.js';

const DEFAULT_HANDLER_TIMEOUT_MS = 30 * 60 * 1000;

export interface ServerStateConfig {
  journalDir: string;
  /** Every session without a namespace uses this engine (embedders). */
  sharedMemgine?: Memgine;
  /** Where persistent state lives; `null` for an embedder that keeps none. */
  stateRoot?: string;
  /** Defaults to freshly minted in-memory tokens: auth is on unless turned off explicitly. */
  auth?: AuthPolicy;
  /** Handler deadline (docs/protocol.md#handler-deadline); 30 minutes unless given (the daemon passes `CAR_HANDLER_TIMEOUT`). */
  handlerTimeoutMs?: number;
  /** A ready engine (skips the lazy start); the embedder keeps ownership and disposes it. */
  inference?: InferenceEngine;
  /** Admission permits (1-64) chosen by an embedder; beats `admissionOverride`. */
  admissionPermits?: number;
  /** The raw `CAR_INFERENCE_MAX_CONCURRENT` (1-64), reported as `env_override`; else one permit per 8 GiB of RAM (1-8). */
  admissionOverride?: string;
  /** The models directory; defaults to `<state root>/models`. */
  modelsDir?: string;
  /** Bound on one local decode in ms (0 = none); 300 s by default. */
  decodeTimeoutMs?: number;
  /** Remote models: no data from their server for this long fails a call (`CAR_REMOTE_TIMEOUT_SECS`, 120 s). */
  remoteTimeoutMs?: number;
  /** Pull limits (`CAR_PULL_MAX_BYTES`, `CAR_PULL_STALL_SECS`, `CAR_PULL_ALLOW_CLIENTS`); defaults in model-pull.ts. */
  pulls?: Partial<PullPolicy>;
  /** Overrides of the A2UI limits (docs/protocol.md#type-a2uilimits); tests use a short TTL. */
  a2uiLimits?: Partial<A2uiLimits>;
  /** Speech model directory, voice session limits and decoder threads (docs/protocol.md#namespace-voice); tests lower the limits. */
  voice?: VoiceOptions;
  /** Where the sound server that `capture` sources record from listens (the daemon passes PULSE_SERVER / XDG_RUNTIME_DIR). */
  soundServer?: SoundServerOptions;
  /** Gate 7 (docs/protocol.md#approval-gate): on/off (default on), wait before expiry (60 s), extra gated methods. */
  approvalGate?: ApprovalGateConfig;
  /** Journal part size and retention (64 MiB parts, 512 MiB kept). */
  journalLimits?: Partial<JournalLimits>;
  /** How long a tool call waits for its client when the tool sets no `timeout_ms`; 300 s unless given (the daemon passes `CAR_TOOL_TIMEOUT`). */
  toolTimeoutMs?: number;
}

type StatusContributor = () => Partial<Pick<DaemonStatus, 'admission' | 'inference' | 'connections'>>;
export type { BinaryFrameHandler } from '../rpc/dispatcher.js';

/**
 * The one process-wide state of the daemon and its composition root (docs/architecture.md#the-composition-root).
 * Each capability is a field built here, in dependency order: it receives the narrow
 * `CapabilityHost` (journal, lifecycle, state root, start/stop hooks) and, as constructor
 * arguments, the capabilities it calls; the root serves its methods. Nothing below
 * imports this class, so rpc/ and each capability can be built and tested alone.
 */
export class ServerState {
  readonly journalDir: string;
  readonly journal: Journal;
  /** Journals sessions that sign in and counts the rest (issue 26). */
  readonly signIns: SignInJournal;
  readonly stateRoot: string | null;
  readonly auth: AuthPolicy;
  readonly sharedMemgine: Memgine | undefined;
  readonly memory: MemoryService;
  readonly admission: InferenceAdmission;
  readonly inference: LocalInference;
  readonly a2ui: A2uiSurfaceStore;
  readonly soundServer: SoundServer;
  readonly voice: VoiceSessionRegistry;
  readonly host: HostState;
  readonly meetings: MeetingRegistry;
  readonly tools: ToolService;
  readonly sessions = new Map<string, ClientSession>();
  readonly registry = new MethodRegistry();
  readonly lifecycle = new SessionLifecycle();
  readonly sessionListing = new SessionListing(this);
  readonly dispatcher: Dispatcher;
  readonly handlerTimeoutMs: number;
  readonly startedAt = new Date();
  /** Set by the server once it listens. */
  url: string | null = null;
  /** Gate 7 (docs/protocol.md#approval-gate), installed by the host capability. */
  approvalGate: ApprovalGate | undefined;
  /** Receives authenticated binary frames (docs/protocol.md#binary-frames), installed by the voice capability. */
  binaryFrameHandler: BinaryFrameHandler | undefined;

  /** `a2ui_route_auth` (docs/protocol.md#a2ui-ingest): reachable only through `a2ui`, never serialised. */
  private readonly a2uiRouteAuth = new A2uiRouteAuthStore();
  private readonly removals = new Map<string, Promise<void>>();
  private readonly startHooks: Hook[] = [];
  private readonly closeHooks: Hook[] = [];
  private readonly statusContributors: StatusContributor[] = [];
  private shutdownHandler: ((reason: string) => void) | null = null;
  private closing: Promise<void> | null = null;

  static standalone(journalDir: string): ServerState {
    return new ServerState({ journalDir });
  }

  static embedded(journalDir: string, sharedMemgine: Memgine): ServerState {
    return new ServerState({ journalDir, sharedMemgine });
  }

  static withConfig(config: ServerStateConfig): ServerState {
    return new ServerState(config);
  }

  private constructor(config: ServerStateConfig) {
    this.journalDir = config.journalDir;
    this.journal = new Journal(config.journalDir, this.startedAt, config.journalLimits);
    this.signIns = new SignInJournal(this.journal);
    this.stateRoot = config.stateRoot ?? null;
    this.auth = config.auth ?? AuthPolicy.minted();
    this.sharedMemgine = config.sharedMemgine;
    this.handlerTimeoutMs = config.handlerTimeoutMs ?? DEFAULT_HANDLER_TIMEOUT_MS;
    this.dispatcher = new Dispatcher(this);

    const core: CapabilityHost = {
      journal: this.journal,
      lifecycle: this.lifecycle,
      stateRoot: this.stateRoot,
      onStart: (hook) => this.onStart(hook),
      onClose: (hook) => this.onClose(hook),
    };
    this.host = new HostState(core, config.approvalGate);
    this.approvalGate = this.host.approvalGate;
    this.a2ui = new A2uiSurfaceStore(core, this.host, this.sessions, this.a2uiRouteAuth, config.a2uiLimits);
    this.memory = new MemoryService(core, this.sessions, config.sharedMemgine);
    this.admission = new InferenceAdmission(config.admissionPermits, config.admissionOverride);
    this.inference = new LocalInference(core, this.admission, this.memory, this.sessions, config.inference, {
      modelsDir: config.modelsDir,
      decodeTimeoutMs: config.decodeTimeoutMs,
      remoteTimeoutMs: config.remoteTimeoutMs,
      pulls: config.pulls,
    });
    this.soundServer = new SoundServer(config.soundServer);
    this.voice = new VoiceSessionRegistry(core, this.soundServer, { modelsDir: config.modelsDir, ...config.voice });
    this.binaryFrameHandler = (session, frame) => this.voice.receiveFrame(session, frame);
    this.meetings = new MeetingRegistry(core, this.inference, this.voice, this.memory, this.soundServer);
    this.tools = new ToolService(core, this.host.approvalGate, { defaultTimeoutMs: config.toolTimeoutMs });

    this.registry.register(authMethods(this));
    this.registry.register(sessionMethods(this));
    this.registry.register(hostMethods(this.host));
    this.registry.register(a2uiMethods(this.a2ui));
    this.registry.register(memoryMethods(this.memory, this.journal));
    this.registry.register(inferenceMethods(this.inference, this.tools));
    this.registry.register(voiceMethods(this.voice));
    this.registry.register(meetingMethods(this.meetings));
    this.registry.register(toolsMethods(this.tools));
    this.registry.register(discoveryMethods(this.registry, () => this.url));
    this.contributeStatus(() => ({ admission: this.inference.admissionStatus(), inference: this.inference.status() }));
    this.lifecycle.onTeardown(1, 'abort in-flight requests', (session) => session.abortInflight());
    this.lifecycle.onTeardown(8, 'fail pending server requests', (session) => session.failServerRequests());
  }

  /**
   * A new connection's session; `signedIn` when the upgrade request carried a valid token
   * (issue 26) or the browser UI's session cookie. Never fails on the journal's account: a full disk only delays its entries.
   */
  createSession(channel: SessionChannel, remote: string, signedIn?: { role: LoginRole; via: string }): ClientSession {
    const session = new ClientSession(channel, remote);
    // Without auth every session holds host rights from the start (docs/protocol.md#authentication), with or without `session.auth`.
    if (!this.auth.enabled) session.role = 'anonymous';
    this.sessions.set(session.id, session);
    this.signIns.opened(session);
    if (signedIn && this.auth.enabled) {
      session.authenticated = true;
      session.role = signedIn.role;
      this.signIns.signedIn(session, { role: signedIn.role, via: signedIn.via, memory_scope: this.memoryScopeOf(session) });
    }
    return session;
  }

  /** Runs the teardown (docs/protocol.md#teardown) once, however many times it is called. */
  removeSession(id: string, reason: string, closeCode: number | null = null): Promise<void> {
    const running = this.removals.get(id);
    if (running) return running;
    const session = this.sessions.get(id);
    if (!session) return Promise.resolve();
    const removal = (async () => {
      session.close(closeCode ?? 1000, 'session removed', reason);
      await this.lifecycle.teardown(session, reason);
      this.sessions.delete(id);
      this.signIns.removed(session, { reason, close_code: closeCode ?? session.closeCode, duration_ms: Date.now() - session.connectedAt.getTime() });
      // Only sessions that signed in: a flood of connections that never do must not fill the log (issue 26).
      if (session.authenticated)
        log.info('session signed out', {
          session: id,
          role: session.role,
          reason,
          connected_s: Math.round((Date.now() - session.connectedAt.getTime()) / 1000),
        });
    })().finally(() => this.removals.delete(id));
    this.removals.set(id, removal);
    return removal;
  }

  memoryScopeOf(session: ClientSession): MemoryScope {
    return this.memory.memoryScopeOf(session);
  }

  /** Work to do once the daemon is ready to accept connections (e.g. repairing interrupted meetings). */
  onStart(hook: Hook): void {
    this.startHooks.push(hook);
  }

  /** Resources to release on shutdown, run in reverse order of registration. */
  onClose(hook: Hook): void {
    this.closeHooks.push(hook);
  }

  contributeStatus(contributor: StatusContributor): void {
    this.statusContributors.push(contributor);
  }

  statusContributions(): Pick<DaemonStatus, 'admission' | 'inference' | 'connections'> {
    const status: Pick<DaemonStatus, 'admission' | 'inference' | 'connections'> = {
      admission: null,
      inference: { state: 'idle', model: null },
      connections: null,
    };
    for (const contributor of this.statusContributors) Object.assign(status, contributor());
    return status;
  }

  async start(): Promise<void> {
    for (const hook of this.startHooks) await hook();
  }

  /** The daemon process decides what a shutdown request means (stop listening, remove tokens, exit). */
  setShutdownHandler(handler: (reason: string) => void): void {
    this.shutdownHandler = handler;
  }

  requestShutdown(reason: string): void {
    if (this.shutdownHandler) this.shutdownHandler(reason);
    else void this.close(reason);
  }

  /** Graceful stop (docs/protocol.md#state-root): every session closed with 1001 and torn down, resources released, `daemon_stopped` journaled. */
  close(reason = 'shutdown'): Promise<void> {
    this.closing ??= (async () => {
      await Promise.all(
        [...this.sessions.values()].map((session) => {
          session.close(1001, 'daemon shutting down', 'daemon_shutdown');
          return this.removeSession(session.id, 'daemon_shutdown', 1001);
        }),
      );
      for (const hook of [...this.closeHooks].reverse()) {
        try {
          await hook();
        } catch (error) {
          log.warn('shutdown step failed', { error: (error as Error).message });
        }
      }
      this.signIns.flush();
      this.journal.append('daemon_stopped', null, { reason });
      this.journal.close();
    })();
    return this.closing;
  }
}
