import { Flags } from '@oclif/core';
import type { CarClient, ConnectOptions } from '../client/node.js';
import { CarCommand } from './base-command.js';
import { environment } from '../config/environment.js';
import type { MemoryFact } from '../protocol/memory.js';
import { clip, type Column } from './render.js';

/**
 * The memory commands always bind a namespace: on a standalone daemon an unbound one-shot
 * connection gets a private graph that ends with it, so what it added would be gone at once.
 */
export const DEFAULT_CLI_NAMESPACE = 'default';

export const namespaceFlag = Flags.string({
  description: `memory namespace (a persistent graph) to use [default: CAR_MEMORY_NAMESPACE, else '${DEFAULT_CLI_NAMESPACE}']`,
});

/** `--namespace`, else `CAR_MEMORY_NAMESPACE`, else the command's default namespace. */
export const cliNamespace = (flag: string | undefined, fallback = DEFAULT_CLI_NAMESPACE): string => flag ?? environment().memoryNamespace ?? fallback;

/** A `car memory …` command: `--namespace` on every one, and every connection bound to that namespace. */
export abstract class MemoryCommand extends CarCommand {
  static override baseFlags = { ...CarCommand.baseFlags, namespace: namespaceFlag };

  protected async namespace(): Promise<string> {
    const { flags } = await this.parse();
    return cliNamespace(flags.namespace as string | undefined);
  }

  protected override async connect(options: Omit<ConnectOptions, 'url'> = {}): Promise<CarClient> {
    return super.connect({ memoryNamespace: await this.namespace(), ...options });
  }
}

/** Where the facts went, for one-line confirmations. */
export const graphLabel = (client: CarClient): string =>
  client.auth?.memory_namespace === undefined ? "this session's graph" : `namespace '${client.auth.memory_namespace}'`;

export const factCount = (count: number): string => `${count} ${count === 1 ? 'fact' : 'facts'}`;

export const factColumns: Column<Pick<MemoryFact, 'id' | 'kind' | 'subject' | 'body'>>[] = [
  { header: 'ID', get: (fact) => fact.id },
  { header: 'KIND', get: (fact) => fact.kind },
  { header: 'SUBJECT', get: (fact) => clip(fact.subject, 60) },
  { header: 'BODY', get: (fact) => clip(fact.body, 60) },
];
