import type {
  MethodName,
  NotificationName,
  NotificationParamsOf,
  ParamsOf,
  ResultOf,
  ServerRequestName,
  ServerRequestParamsOf,
  ServerRequestResultOf,
} from '../protocol/methods.js';
import type { ToolExecuteParams, ToolInfo, ToolRisk, ToolSchema } from '../protocol/tools.js';

/** What a tool's handler learns about the call besides its parameters. */
export interface ToolCallContext {
  /** Aborts when the daemon sends `tools.cancel` for this call (its timeout, the `infer` cancelled). */
  signal: AbortSignal;
  /** The call's id (`tool_calls[].id` in the `infer` result). */
  requestId: string;
  attempt: number;
  /** The session whose `infer` made the call: this connection's. */
  sessionId: string;
}

/** Returns the tool's result (any JSON); a thrown error's message is what the model reads. */
export type ToolHandler = (parameters: Record<string, unknown>, context: ToolCallContext) => unknown;

export interface ToolOptions {
  description?: string;
  /** A JSON Schema of an object; the model's parameters are generated to fit it. */
  parameters?: ToolSchema;
  /** `high`: each call waits for a host approval before it reaches the handler. */
  risk?: ToolRisk;
  /** How long the daemon waits for the handler; the daemon's default (300 s) when absent. */
  timeout_ms?: number;
}

/** The part of a connection the tools use (declared here so this module does not import the connection). */
export interface ToolChannel {
  call<M extends MethodName>(method: M, params?: ParamsOf<M>): Promise<ResultOf<M>>;
  onRequest<M extends ServerRequestName>(
    method: M,
    handler: (params: ServerRequestParamsOf<M>) => ServerRequestResultOf<M> | Promise<ServerRequestResultOf<M>>,
  ): void;
  on<N extends NotificationName>(method: N, handler: (params: NotificationParamsOf<N>) => void): () => void;
}

/**
 * A connection's tools: `register` declares a tool to the daemon and keeps its handler, and
 * the daemon's `tools.execute` requests are answered by calling it (`tools.cancel` aborts
 * the handler's signal). The tools go when the connection closes.
 */
export class ClientTools {
  private readonly handlers = new Map<string, ToolHandler>();
  private readonly running = new Map<string, AbortController>();
  private listening = false;

  constructor(private readonly channel: ToolChannel) {}

  /** Registers (or replaces) one tool and its handler; resolves with the tool as the daemon lists it. */
  async register(name: string, options: ToolOptions, handler: ToolHandler): Promise<ToolInfo> {
    this.listen();
    const previous = this.handlers.get(name);
    // Set first: the daemon may call the tool as soon as it has registered it.
    this.handlers.set(name, handler);
    try {
      const { tools } = await this.channel.call('tools.register', { tools: [{ name, ...options }] });
      return tools[0]!;
    } catch (error) {
      if (this.handlers.get(name) === handler) this.restore(name, previous);
      throw error;
    }
  }

  /** Whether the tool was registered. */
  async unregister(name: string): Promise<boolean> {
    const { unregistered } = await this.channel.call('tools.unregister', { names: [name] });
    this.handlers.delete(name);
    return unregistered.includes(name);
  }

  /** This connection's tools (every session's for a host-role connection). */
  async list(): Promise<ToolInfo[]> {
    return (await this.channel.call('tools.list', {})).tools;
  }

  private listen(): void {
    if (this.listening) return;
    this.listening = true;
    this.channel.onRequest('tools.execute', (params) => this.execute(params));
    this.channel.on('tools.cancel', ({ request_id }) => this.running.get(request_id)?.abort(new Error('cancelled by the daemon')));
  }

  private async execute({ request_id, tool, parameters, attempt, session_id }: ToolExecuteParams): Promise<unknown> {
    const handler = this.handlers.get(tool);
    if (!handler) throw new Error(`this client has no handler for tool '${tool}'`);
    const controller = new AbortController();
    this.running.set(request_id, controller);
    try {
      return await handler(parameters, { signal: controller.signal, requestId: request_id, attempt, sessionId: session_id });
    } finally {
      this.running.delete(request_id);
    }
  }

  private restore(name: string, previous: ToolHandler | undefined): void {
    if (previous) this.handlers.set(name, previous);
    else this.handlers.delete(name);
  }
}
