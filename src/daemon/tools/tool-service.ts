import type { z } from 'zod';
import { invalidParams } from '../../protocol/errors.js';
import { DEFAULT_MAX_TOOL_ROUNDS, type ToolInfo, type toolsRegisterParams } from '../../protocol/tools.js';
import type { ToolCallObserver, ToolRequest, ToolRunner, ToolRunnerFactory } from '../inference/tool-runner.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { CapabilityHost } from '../state/capability.js';
import { SessionToolRunner, type ToolApprovals } from './session-tool-runner.js';
import { ToolTable, type RegisteredTool } from './tool-table.js';

export const DEFAULT_TOOL_TIMEOUT_MS = 300_000;

export interface ToolOptions {
  /** How long a call waits for its client when the tool sets no `timeout_ms` (`CAR_TOOL_TIMEOUT`). */
  defaultTimeoutMs?: number;
}

/**
 * `state.tools` (issue 23): the tools each session registered, and the runner `infer` uses
 * to call them. A session's tools can only be called by that session's own `infer`, and go
 * when it disconnects.
 */
export class ToolService implements ToolRunnerFactory {
  private readonly table = new ToolTable();
  private readonly defaultTimeoutMs: number;

  constructor(
    private readonly core: CapabilityHost,
    private readonly approvals: ToolApprovals,
    options: ToolOptions = {},
  ) {
    this.defaultTimeoutMs = options.defaultTimeoutMs ?? DEFAULT_TOOL_TIMEOUT_MS;
    // Teardown step 8 (docs/protocol.md#teardown), with the server requests its tool calls were waiting on.
    core.lifecycle.onTeardown(8, 'tools the session registered', (session) => {
      const names = this.table.dropSession(session.id);
      if (names.length) core.journal.append('tools_unregistered', session.id, { names, reason: 'owner_disconnected' });
    });
  }

  register({ tools }: z.output<typeof toolsRegisterParams>, session: ClientSession): { tools: ToolInfo[] } {
    const registered = this.table.register(session.id, tools);
    this.core.journal.append('tools_registered', session.id, { names: registered.map((tool) => tool.name) });
    return { tools: registered.map((tool) => this.info(tool)) };
  }

  unregister(names: string[], session: ClientSession): { unregistered: string[] } {
    const unregistered = this.table.unregister(session.id, names);
    if (unregistered.length) this.core.journal.append('tools_unregistered', session.id, { names: unregistered, reason: 'requested' });
    return { unregistered };
  }

  /** The session's own tools; a host-role session sees every session's. */
  list(session: ClientSession): { tools: ToolInfo[] } {
    const tools = session.hasHostRights ? this.table.all() : this.table.ownedBy(session.id);
    return { tools: tools.map((tool) => this.info(tool)) };
  }

  runnerFor(request: ToolRequest, session: ClientSession, observer?: ToolCallObserver): ToolRunner | undefined {
    if (!request.tools?.length) return undefined;
    const specs = request.tools.map((name, index) => {
      const tool = this.table.find(session.id, name);
      if (!tool) {
        throw invalidParams(
          `unknown tool '${name}' in 'tools'; register it with tools.register on this connection first (a session calls only its own tools)`,
          {
            field: `tools.${index}`,
          },
        );
      }
      return { name, description: tool.description ?? undefined, parameters: tool.parameters ?? undefined };
    });
    const deps = {
      journal: this.core.journal,
      approvals: this.approvals,
      find: (sessionId: string, name: string) => this.table.find(sessionId, name),
      defaultTimeoutMs: this.defaultTimeoutMs,
    };
    return new SessionToolRunner(deps, session, specs, request.tool_choice ?? 'auto', request.max_tool_rounds ?? DEFAULT_MAX_TOOL_ROUNDS, observer);
  }

  private info(tool: RegisteredTool): ToolInfo {
    return {
      name: tool.name,
      description: tool.description,
      parameters: tool.parameters,
      risk: tool.risk,
      timeout_ms: tool.timeoutMs ?? this.defaultTimeoutMs,
      session_id: tool.sessionId,
      registered_at: tool.registeredAt,
    };
  }
}
