import { emptyParams } from '../../protocol/core.js';
import {
  addFactParams,
  buildContextParams,
  deleteFactParams,
  listFactsParams,
  loadParams,
  persistParams,
  queryParams,
  type AddFactResult,
  type DeleteFactResult,
  type ListFactsResult,
  type MemoryHit,
} from '../../protocol/memory.js';
import { invalidParams } from '../../protocol/errors.js';
import { method, type MethodTable } from '../rpc/method-table.js';
import { readFactFile, writeFactFile } from './fact-file.js';
import { queryTerms } from './fts.js';
import { resolveSandboxFile } from './sandbox.js';

/** `memory.*` (§14.3). Every method acts on the graph the session resolves to. */
export const memoryMethods: MethodTable = {
  'memory.add_fact': method({
    params: addFactParams,
    async handler({ subject, body, kind }, { state, session }): Promise<AddFactResult> {
      const engine = state.memory.engineFor(session);
      const added = engine.addFact({ subject, body, kind, source: 'ws' });
      await engine.flushed?.();
      if (added.created) state.memory.journalAdded(session, { id: added.id, subject, kind });
      return { id: added.id, fact_count: added.fact_count };
    },
  }),

  'memory.query': method({
    params: queryParams,
    handler({ query, k }, { state, session }): MemoryHit[] {
      if (queryTerms(query).length === 0) throw invalidParams('memory.query: the query has no words to search for (only punctuation or symbols); pass at least one word', { field: 'query' });
      return state.memory
        .engineFor(session)
        .query(query, k)
        .map(({ id, subject, body, kind, confidence, score }) => ({ id, subject, body, kind, confidence, score }));
    },
  }),

  'memory.fact_count': method({
    params: emptyParams,
    handler: (_params, { state, session }): number => state.memory.engineFor(session).factCount(),
  }),

  'memory.list': method({
    params: listFactsParams,
    handler({ limit, offset }, { state, session }): ListFactsResult {
      const engine = state.memory.engineFor(session);
      const page = engine.listFacts?.(limit, offset) ?? engine.allFacts().reverse().slice(offset, offset + limit);
      const facts = page.map(({ id, subject, body, kind, confidence, source, created_at }) => ({ id, subject, body, kind, confidence, source, created_at }));
      return { facts, fact_count: engine.factCount() };
    },
  }),

  'memory.delete': method({
    params: deleteFactParams,
    async handler({ id }, { state, session }): Promise<DeleteFactResult> {
      const engine = state.memory.engineFor(session);
      const { deleted, kind } = engine.deleteFact(id);
      const factCount = engine.factCount();
      await engine.flushed?.();
      if (deleted) state.journal.append('memory_fact_deleted', session.id, { id });
      return { id, deleted, kind, fact_count: factCount };
    },
  }),

  'memory.build_context': method({
    params: buildContextParams,
    handler: ({ query, model_context_window }, { state, session }): string => state.memory.buildContext(session, query, model_context_window),
  }),

  'memory.persist': method({
    params: persistParams,
    handler({ path }, { state, session, method: name }): number {
      const { file, shown } = resolveSandboxFile(state.memory.sandboxDir(name), path, 'memory.persist');
      const facts = state.memory.engineFor(session).allFacts();
      writeFactFile(file, facts);
      state.journal.append('memory_persisted', session.id, { path: shown, count: facts.length });
      return facts.length;
    },
  }),

  'memory.load': method({
    params: loadParams,
    // Loading replaces the graph every other session of an embedder shares (§13).
    needsApproval: (_params, { state, session }) => state.memoryScopeOf(session) === 'shared',
    async handler({ path }, { state, session, method: name }): Promise<number> {
      const { file, shown } = resolveSandboxFile(state.memory.sandboxDir(name), path, 'memory.load');
      const facts = readFactFile(file, shown);
      const engine = state.memory.engineFor(session);
      const count = engine.replaceAll(facts);
      await engine.flushed?.();
      state.journal.append('memory_loaded', session.id, { path: shown, count });
      return count;
    },
  }),
};
