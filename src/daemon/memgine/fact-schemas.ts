import { z } from 'zod';
import { FACT_SOURCES, factBody, factId, factKind, factSubject } from '../../protocol/memory.js';

const confidence = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');

/** A fact as `memory.persist` writes it (docs/protocol.md#type-memoryfact). */
export const storedFact = z.strictObject({
  id: factId,
  subject: factSubject,
  body: factBody,
  kind: factKind,
  constraint: z.boolean(),
  confidence,
  source: z.enum(FACT_SOURCES),
  created_at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 timestamp' }),
});

/** The `memory.persist` / `memory.load` file (docs/protocol.md#memory-persist). */
export const factFile = z.strictObject({
  version: z.literal(1, { error: 'must be 1 (the only fact file version this daemon reads)' }),
  facts: z.array(storedFact),
});

/** What another capability may hand to `ingest` (docs/protocol.md#meeting-lifecycle). */
export const ingestedFact = z.strictObject({
  id: factId.optional(),
  subject: factSubject,
  body: factBody,
  kind: factKind.optional(),
  confidence: confidence.optional(),
  source: z.enum(FACT_SOURCES).optional(),
  created_at: z.iso.datetime({ offset: true, error: 'must be an ISO-8601 timestamp' }).optional(),
});

/** `facts.3.subject: must not be empty`, never the offending value (it may be a fact body). */
export function describeIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const where = issue.path.map(String).join('.');
  return `${where ? `${where}: ` : ''}${issue.message}`;
}
