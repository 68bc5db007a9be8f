import { join } from 'node:path';
import type { MemoryScope } from '../../protocol/core.js';
import { unavailable } from '../../protocol/errors.js';
import { log } from '../log.js';
import { ensurePrivateDir, stateDirs } from '../root/state-root.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { CapabilityHost, SessionDirectory } from '../state/capability.js';
import { assembleContext } from './context.js';
import { describeIssue, ingestedFact } from './fact-schemas.js';
import type { Fact, Memgine, NewFact } from './memgine.js';
import { MemoryStore } from './memory-store.js';
import { encodeNamespace } from './namespace.js';

export interface IngestResult {
  ingested: number;
  error?: string;
}

/**
 * `state.memory`: resolves which graph a session uses (namespace > shared > private: docs/protocol.md#memory-graphs),
 * owns the SQLite stores and serves the `memory.*` methods. Nothing is allocated for a
 * session until its first memory call; the persistent database opens on first namespace use.
 */
export class MemoryService {
  private persistentStore: MemoryStore | null = null;
  private privateStore: MemoryStore | null = null;

  constructor(
    private readonly core: CapabilityHost,
    private readonly sessions: SessionDirectory,
    /** Every session without a namespace uses this engine (embedders). */
    private readonly sharedMemgine: Memgine | undefined,
  ) {
    core.lifecycle.onTeardown(7, 'drop private memory graph', (session) => this.privateStore?.dropGraph(privateGraphName(session)));
    core.onClose(() => this.close());
    // better-sqlite3 loads its native addon on the first open; loaded lazily under file exhaustion
    // it failed for good (issue 12, defect 2), so it is loaded while the daemon starts.
    core.onStart(() => {
      this.privateStore ??= MemoryStore.inMemory();
    });
  }

  /** A namespace wins, then the embedder's shared graph, else the session's private one (docs/protocol.md#memory-graphs). */
  memoryScopeOf(session: ClientSession): MemoryScope {
    if (session.memoryNamespace !== null) return 'namespace';
    return this.sharedMemgine ? 'shared' : 'session';
  }

  /** The graph this session's memory calls act on. */
  engineFor(session: ClientSession): Memgine {
    switch (this.memoryScopeOf(session)) {
      case 'namespace':
        return this.openPersistentStore().graph(namespaceGraph(session.memoryNamespace!));
      case 'shared':
        return this.sharedMemgine!;
      case 'session':
        if (!this.sessions.has(session.id)) throw unavailable(`session ${session.id} has ended, and its private memory graph with it`);
        this.privateStore ??= MemoryStore.inMemory();
        return this.privateStore.graph(privateGraphName(session));
    }
  }

  /** Context assembly (docs/protocol.md#memory-build_context), for that method and inference's `context_query`. */
  buildContext(session: ClientSession, query: string, modelContextWindow?: number): string {
    return assembleContext(this.engineFor(session), query, modelContextWindow);
  }

  /**
   * Other capabilities store facts in the session's graph through here (meetings: docs/protocol.md#meeting-lifecycle).
   * Facts default to `kind: "conversation"`, `source: "meeting"`. Never throws: a bad fact is
   * skipped, and failures are logged and journaled without the facts' content.
   */
  ingest(session: ClientSession, facts: NewFact[]): IngestResult {
    const added: Pick<Fact, 'id' | 'subject' | 'kind'>[] = [];
    let ingested = 0;
    let firstError: string | undefined;
    try {
      const engine = this.engineFor(session);
      for (const [index, fact] of facts.entries()) {
        try {
          const checked = ingestedFact.safeParse(fact);
          if (!checked.success) throw new Error(`fact ${index}: ${describeIssue(checked.error)}`);
          const { id, created } = engine.addFact({ kind: 'conversation', source: 'meeting', ...checked.data });
          if (created) added.push({ id, subject: checked.data.subject, kind: checked.data.kind ?? 'conversation' });
          ingested++;
        } catch (error) {
          firstError ??= (error as Error).message;
        }
      }
      const flushed = engine.flushed?.() ?? Promise.resolve();
      flushed.then(
        () => added.forEach((fact) => this.journalAdded(session, fact)),
        (error: Error) => this.ingestFailed(session, { ingested: 0, failed: facts.length, error: `the commit failed: ${error.message}` }),
      );
    } catch (error) {
      firstError = (error as Error).message;
    }
    if (firstError === undefined) return { ingested };
    this.ingestFailed(session, { ingested, failed: facts.length - ingested, error: firstError });
    return { ingested, error: firstError };
  }

  /**
   * Deletes these facts (a deleted meeting's) from the graph its transcript fed: the namespace,
   * the embedder's shared graph for `null` (a session's own graph ended with it), or every
   * namespace for `undefined` (a meeting recorded before its namespace was kept). Returns how many went.
   */
  async forgetFacts(namespace: string | null | undefined, ids: readonly string[]): Promise<number> {
    if (ids.length === 0) return 0;
    let deleted = 0;
    for (const engine of this.graphsFor(namespace)) {
      for (const id of ids) if (engine.deleteFact(id).deleted) deleted++;
      await engine.flushed?.();
    }
    return deleted;
  }

  private graphsFor(namespace: string | null | undefined): Memgine[] {
    if (namespace === null) return this.sharedMemgine ? [this.sharedMemgine] : [];
    const store = this.openPersistentStore();
    if (namespace !== undefined) return [store.graph(namespaceGraph(namespace))];
    return store.graphNames(NAMESPACE_GRAPH).map((name) => store.graph(name));
  }

  /**
   * Removes facts other capabilities stored (a meeting's live lines, once its final transcript
   * replaces them). Never throws: a failure is logged and journaled like a failed ingest.
   */
  retract(session: ClientSession, ids: readonly string[]): void {
    if (!ids.length) return;
    try {
      const engine = this.engineFor(session);
      const deleted = ids.filter((id) => engine.deleteFact(id).deleted);
      const flushed = engine.flushed?.() ?? Promise.resolve();
      flushed.then(
        () => deleted.forEach((id) => this.core.journal.append('memory_fact_deleted', session.id, { id })),
        (error: Error) => this.ingestFailed(session, { ingested: 0, failed: deleted.length, error: `the commit of a retraction failed: ${error.message}` }),
      );
    } catch (error) {
      this.ingestFailed(session, { ingested: 0, failed: ids.length, error: `facts could not be retracted: ${(error as Error).message}` });
    }
  }

  /** `{ scope, namespace }` for journal entries. */
  private scopeOf(session: ClientSession): { scope: MemoryScope; namespace: string | null } {
    return { scope: this.memoryScopeOf(session), namespace: session.memoryNamespace };
  }

  journalAdded(session: ClientSession, fact: Pick<Fact, 'id' | 'subject' | 'kind'>): void {
    this.core.journal.append('memory_fact_added', session.id, { ...this.scopeOf(session), id: fact.id, subject: fact.subject, kind: fact.kind });
  }

  private ingestFailed(session: ClientSession, outcome: { ingested: number; failed: number; error: string }): void {
    log.warn('memory ingest failed', { session: session.id, ...outcome });
    this.core.journal.append('memory_ingest_failed', session.id, { ...this.scopeOf(session), ...outcome });
  }

  /** `<state root>/memory/`, the only place `memory.persist` / `memory.load` touch. */
  sandboxDir(method: string): string {
    if (this.core.stateRoot === null) throw noStateRoot(`${method} needs`);
    return ensurePrivateDir(stateDirs(this.core.stateRoot).memory);
  }

  private openPersistentStore(): MemoryStore {
    if (this.persistentStore) return this.persistentStore;
    if (this.core.stateRoot === null) throw noStateRoot('memory namespaces need');
    const file = join(ensurePrivateDir(stateDirs(this.core.stateRoot).db), 'memory.sqlite');
    try {
      this.persistentStore = MemoryStore.open(file);
    } catch (error) {
      log.error('memory database cannot be opened', { file, error: (error as Error).message });
      throw unavailable(`the memory database ${file} cannot be opened (${(error as Error).message}); move it aside and retry, or check the daemon log`);
    }
    return this.persistentStore;
  }

  private close(): void {
    this.persistentStore?.close();
    this.privateStore?.close();
    this.persistentStore = this.privateStore = null;
  }
}

const privateGraphName = (session: ClientSession) => `session:${session.id}`;
/** Namespace graphs are named `ns:<encoded namespace>` in the persistent store. */
const NAMESPACE_GRAPH = 'ns:';
/** Graph names of recent namespaces: every memory call resolves one, and encoding it byte by byte costs more than the lookup. */
const graphNames = new Map<string, string>();
const GRAPH_NAMES_KEPT = 256;
const namespaceGraph = (namespace: string): string => {
  let name = graphNames.get(namespace);
  if (name === undefined) {
    if (graphNames.size >= GRAPH_NAMES_KEPT) graphNames.clear();
    name = `${NAMESPACE_GRAPH}${encodeNamespace(namespace)}`;
    graphNames.set(namespace, name);
  }
  return name;
};

const noStateRoot = (what: string) =>
  unavailable(
    `${what} a daemon with a state root, and this embedded daemon keeps no persistent state; connect without memory_namespace, or give the daemon a stateRoot`,
  );
