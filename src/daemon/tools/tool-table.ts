import type { z } from 'zod';
import { limitExceeded } from '../../protocol/errors.js';
import { MAX_TOOLS_PER_SESSION, type ToolRisk, type ToolSchema, type toolDefinition } from '../../protocol/tools.js';

export interface RegisteredTool {
  readonly name: string;
  readonly description: string | null;
  readonly parameters: ToolSchema | null;
  readonly risk: ToolRisk;
  /** The tool's own wait for an answer; `null` takes the daemon's default. */
  readonly timeoutMs: number | null;
  readonly sessionId: string;
  readonly registeredAt: string;
}

/** The tools each session registered, by session id and name; a name is unique within its session only. */
export class ToolTable {
  private readonly bySession = new Map<string, Map<string, RegisteredTool>>();

  /** Adds or replaces by name; all or nothing when the session would hold more than its limit. */
  register(sessionId: string, definitions: z.output<typeof toolDefinition>[]): RegisteredTool[] {
    const own = this.bySession.get(sessionId) ?? new Map<string, RegisteredTool>();
    const added = definitions.filter((definition) => !own.has(definition.name)).length;
    if (own.size + added > MAX_TOOLS_PER_SESSION) {
      throw limitExceeded(
        `a session may register at most ${MAX_TOOLS_PER_SESSION} tools; it has ${own.size} and this call adds ${added}; unregister some first (tools.unregister)`,
        { field: 'tools' },
      );
    }
    const registeredAt = new Date().toISOString();
    const tools = definitions.map((definition): RegisteredTool => ({
      name: definition.name,
      description: definition.description ?? null,
      parameters: definition.parameters ?? null,
      risk: definition.risk,
      timeoutMs: definition.timeout_ms ?? null,
      sessionId,
      registeredAt,
    }));
    for (const tool of tools) own.set(tool.name, tool);
    this.bySession.set(sessionId, own);
    return tools;
  }

  /** The names that were registered and are now gone. */
  unregister(sessionId: string, names: readonly string[]): string[] {
    const own = this.bySession.get(sessionId);
    const removed = names.filter((name) => own?.delete(name));
    if (own?.size === 0) this.bySession.delete(sessionId);
    return removed;
  }

  /** Forgets every tool of the session and returns their names. */
  dropSession(sessionId: string): string[] {
    const names = [...(this.bySession.get(sessionId)?.keys() ?? [])];
    this.bySession.delete(sessionId);
    return names;
  }

  find(sessionId: string, name: string): RegisteredTool | undefined {
    return this.bySession.get(sessionId)?.get(name);
  }

  ownedBy(sessionId: string): RegisteredTool[] {
    return [...(this.bySession.get(sessionId)?.values() ?? [])];
  }

  all(): RegisteredTool[] {
    return [...this.bySession.values()].flatMap((own) => [...own.values()]);
  }
}
