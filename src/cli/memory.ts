import { Flags } from '@oclif/core';
import type { CarClient } from '../client/client.js';

/** `--namespace` of the `car memory` commands: bound through `session.auth` (§5.3). */
export const namespaceFlag = Flags.string({
  description: 'memory namespace to bind, a persistent graph [default: CAR_MEMORY_NAMESPACE]',
});

/**
 * Without a namespace a standalone daemon gives each connection a private graph that ends
 * with it, so a one-shot command would forget at once; say so rather than let it look saved.
 */
export function warnIfUnbound(client: CarClient): void {
  if (client.auth?.memory_namespace !== undefined) return;
  process.stderr.write('note: no memory namespace bound; on a standalone daemon this command used a private graph that ends with its connection (pass --namespace or set CAR_MEMORY_NAMESPACE)\n');
}

/** Where the facts went, for one-line confirmations. */
export const graphLabel = (client: CarClient): string =>
  client.auth?.memory_namespace === undefined ? "this session's graph" : `namespace '${client.auth.memory_namespace}'`;
