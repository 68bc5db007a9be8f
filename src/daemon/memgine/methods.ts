import { memoryContract, subjectOf, type AddFactResult, type DeleteFactResult, type ListFactsResult, type MemoryHit } from '../../protocol/memory.js';
import { invalidParams } from '../../protocol/errors.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { JournalWriter } from '../state/capability.js';
import type { MemoryService } from './memory-service.js';
import { readFactFile, writeFactFile } from './fact-file.js';
import { queryTerms } from './fts.js';
import { resolveSandboxFile } from './sandbox.js';

/** `memory.*` (docs/protocol.md#namespace-memory). Every method acts on the graph the session resolves to. */
export const memoryMethods = (memory: MemoryService, journal: JournalWriter): MethodTable =>
  implement(memoryContract, {
    'memory.add_fact': {
      async handler({ subject: given, body, kind }, { session }): Promise<AddFactResult> {
        const subject = given ?? subjectOf(body);
        const engine = memory.engineFor(session);
        const added = engine.addFact({ subject, body, kind, source: 'ws' });
        await engine.flushed?.();
        if (added.created) memory.journalAdded(session, { id: added.id, subject, kind });
        return { id: added.id, fact_count: added.fact_count };
      },
    },

    'memory.query': {
      handler({ query, k }, { session }): MemoryHit[] {
        const hits = memory.engineFor(session).query(query, k);
        // Only an empty answer can come from a query without words, so the words are counted again only then.
        if (hits.length === 0 && queryTerms(query).length === 0)
          throw invalidParams('memory.query: the query has no words to search for (only punctuation or symbols); pass at least one word', { field: 'query' });
        return hits.map(({ id, subject, body, kind, confidence, score }) => ({ id, subject, body, kind, confidence, score }));
      },
    },

    'memory.fact_count': {
      handler: (_params, { session }): number => memory.engineFor(session).factCount(),
    },

    'memory.list': {
      handler({ limit, offset }, { session }): ListFactsResult {
        const engine = memory.engineFor(session);
        const page =
          engine.listFacts?.(limit, offset) ??
          engine
            .allFacts()
            .reverse()
            .slice(offset, offset + limit);
        const facts = page.map(({ id, subject, body, kind, confidence, source, created_at }) => ({ id, subject, body, kind, confidence, source, created_at }));
        return { facts, fact_count: engine.factCount() };
      },
    },

    'memory.delete': {
      async handler({ id }, { session }): Promise<DeleteFactResult> {
        const engine = memory.engineFor(session);
        const { deleted, kind } = engine.deleteFact(id);
        const factCount = engine.factCount();
        await engine.flushed?.();
        if (deleted) journal.append('memory_fact_deleted', session.id, { id });
        return { id, deleted, kind, fact_count: factCount };
      },
    },

    'memory.build_context': {
      handler: ({ query, model_context_window }, { session }): string => memory.buildContext(session, query, model_context_window),
    },

    'memory.persist': {
      handler({ path }, { session, method: name }): number {
        const { file, shown } = resolveSandboxFile(memory.sandboxDir(name), path, 'memory.persist');
        const facts = memory.engineFor(session).allFacts();
        writeFactFile(file, facts);
        journal.append('memory_persisted', session.id, { path: shown, count: facts.length });
        return facts.length;
      },
    },

    'memory.load': {
      // Loading replaces the graph every other session of an embedder shares (docs/protocol.md#approval-gate).
      needsApproval: (_params, { session }) => memory.memoryScopeOf(session) === 'shared',
      async handler({ path }, { session, method: name }): Promise<number> {
        const { file, shown } = resolveSandboxFile(memory.sandboxDir(name), path, 'memory.load');
        const facts = readFactFile(file, shown);
        const engine = memory.engineFor(session);
        const count = engine.replaceAll(facts);
        await engine.flushed?.();
        journal.append('memory_loaded', session.id, { path: shown, count });
        return count;
      },
    },
  });
