import type { Fact, FactKind, Memgine } from './memgine.js';

const MAX_BUDGET_TOKENS = 8192;
const CHARS_PER_TOKEN = 4;
const MAX_CONSTRAINTS = 1000;
const FACTS_K = 20;
const CONVERSATION_K = 10;
/** Constraints have their own section, so the Facts section leaves them out. */
const FACT_KINDS: readonly FactKind[] = ['pattern', 'fact', 'preference'];

interface Section {
  title: string;
  lines: string[];
}

/**
 * `memory.build_context` (docs/protocol.md#memory-build_context): Constraints (every constraint fact, newest first), Facts
 * (top-k non-conversation facts for the query) and Conversation (top-k conversation facts),
 * empty sections omitted, within min(8192, window / 2) tokens at 4 characters a token.
 * Over budget, the lowest-ranked line of the last non-empty section goes first.
 */
export function assembleContext(engine: Memgine, query: string, modelContextWindow?: number): string {
  const budgetTokens = Math.min(MAX_BUDGET_TOKENS, modelContextWindow === undefined ? MAX_BUDGET_TOKENS : Math.floor(modelContextWindow / 2));
  const budget = budgetTokens * CHARS_PER_TOKEN;
  const sections: Section[] = [
    { title: 'Constraints', lines: engine.factsOfKind('constraint', MAX_CONSTRAINTS).map(line) },
    { title: 'Facts', lines: engine.query(query, FACTS_K, { kinds: FACT_KINDS }).map(line) },
    { title: 'Conversation', lines: engine.query(query, CONVERSATION_K, { kinds: ['conversation'] }).map(line) },
  ];

  let length = renderedLength(sections);
  for (let index = sections.length - 1; index >= 0 && length > budget; index--) {
    const { lines } = sections[index]!;
    while (lines.length > 0 && length > budget) {
      lines.pop();
      length = renderedLength(sections);
    }
  }
  return render(sections);
}

const line = (fact: Fact) => `- ${fact.subject}: ${fact.body}`;

const visible = (sections: Section[]) => sections.filter((section) => section.lines.length > 0);

function render(sections: Section[]): string {
  return visible(sections)
    .map((section) => [`## ${section.title}`, ...section.lines].join('\n'))
    .join('\n\n');
}

/** Same as `render(sections).length`, without building the string. */
function renderedLength(sections: Section[]): number {
  const shown = visible(sections);
  let length = Math.max(0, shown.length - 1) * 2;
  for (const section of shown) {
    length += 3 + section.title.length;
    for (const text of section.lines) length += 1 + text.length;
  }
  return length;
}
