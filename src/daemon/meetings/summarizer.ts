import { transcriptLines, type SummaryKind, type SummaryProgress, type TranscriptLine } from '../../protocol/meeting.js';
import { MAX_CONTEXT_TOKENS } from '../inference/generation-model.js';
import type { GenerateOptions, LocalInference } from '../inference/local-inference.js';
import { checkModelOutput } from './degenerate.js';
import { extractiveSummary } from './extractive.js';
import { BUILTIN_TEMPLATES, type SummaryTemplate } from './templates.js';

export interface SummaryOutcome {
  summary: string | null;
  summary_error: string | null;
  summary_kind: SummaryKind | null;
  /** Why the summary is extractive (or why there is none); `null` for a model summary. */
  summary_reason: string | null;
}

export interface SummarizeOptions extends GenerateOptions {
  template?: SummaryTemplate;
  /** The language the model is asked to write in (extractive summaries keep the transcript's). */
  language?: string;
  /** The language spoken in the meeting, whose stop words an extractive summary leaves out. */
  transcriptLanguage?: string;
  onProgress?: (progress: SummaryProgress) => void;
}

/** One kind of prompt: instruction, the text, then the cue the model continues from. */
interface PromptShape {
  head: string;
  cue: string;
  /** Bytes of text that fit between head and cue. */
  textBytes: number;
}

export interface PromptPlan {
  maxTokens: number;
  chunk: PromptShape;
  merge: PromptShape;
}

const DEFAULT_TEMPLATE: SummaryTemplate = { name: 'default', instruction: BUILTIN_TEMPLATES.default, extractive: 'default' };

function instructions(instruction: string) {
  return {
    chunk: {
      full: { head: `Summarise this part of a meeting transcript. ${instruction}\n\nTranscript:\n`, cue: '\n\nSummary:\n' },
      short: { head: 'Meeting notes:\n', cue: '\nSummary:' },
    },
    merge: {
      full: {
        head: `These are summaries of consecutive parts of one meeting. Merge them into one summary. ${instruction}\n\nPart summaries:\n`,
        cue: '\n\nSummary:\n',
      },
      short: { head: 'Notes:\n', cue: '\nSummary:' },
    },
  };
}

/** BOS, a leading-space token and rounding. */
const RESERVED_TOKENS = 8;
/** Below this much room for transcript text per call, summarising is pointless. */
const MIN_TEXT_BYTES = 16;
/** Assumed when a model's header does not state its training context. */
const FALLBACK_WINDOW = 512;

/**
 * Budgets for a model whose calls see `window` tokens. Token counts are bounded by UTF-8
 * bytes (every SentencePiece/BPE token covers at least one byte), so no prompt can overflow
 * the context, where node-llama-cpp would silently drop the start of the transcript. A tenth
 * of the window stays free (node-llama-cpp's context-shift reserve), chat templates get
 * 1/64 of it, and models too small for the full instruction get a terse one.
 */
export function planPrompts(window: number, instruction: string = BUILTIN_TEMPLATES.default): PromptPlan {
  const maxTokens = Math.min(512, Math.max(16, Math.floor(window / 4)));
  const promptBytes = Math.floor(window * 0.9) - maxTokens - RESERVED_TOKENS - Math.ceil(window / 64);
  const shape = ({ full, short }: { full: Omit<PromptShape, 'textBytes'>; short: Omit<PromptShape, 'textBytes'> }): PromptShape => {
    const chosen = byteLength(full.head + full.cue) <= promptBytes / 4 ? full : short;
    const textBytes = promptBytes - byteLength(chosen.head + chosen.cue);
    if (textBytes < MIN_TEXT_BYTES)
      throw new Error(
        `the model's context window (${window} tokens) is too small to summarise a transcript; choose a larger model with \`car config set model <name>\``,
      );
    return { ...chosen, textBytes };
  };
  const shapes = instructions(instruction);
  return { maxTokens, chunk: shape(shapes.chunk), merge: shape(shapes.merge) };
}

/** Transcript lines packed into chunks of at most `maxBytes`; a line longer than that is split between words. */
export function chunkTranscript(lines: readonly string[], maxBytes: number): string[] {
  return packLines(
    lines.flatMap((line) => splitByBytes(line, maxBytes)),
    maxBytes,
  ).map((group) => group.join('\n'));
}

/** Greedy groups whose `\n`-joined size stays within `maxBytes`. */
export function packLines(parts: readonly string[], maxBytes: number): string[][] {
  const groups: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const part of parts) {
    const bytes = byteLength(part);
    if (current.length && size + 1 + bytes > maxBytes) {
      groups.push(current);
      current = [];
      size = 0;
    }
    size += (current.length ? 1 : 0) + bytes;
    current.push(part);
  }
  if (current.length) groups.push(current);
  return groups;
}

/** Pieces of at most `maxBytes` each, cut at the last whitespace that fits, else between characters. */
export function splitByBytes(text: string, maxBytes: number): string[] {
  const pieces: string[] = [];
  let rest = text.trim();
  while (byteLength(rest) > maxBytes) {
    let head = prefixWithin(rest, maxBytes);
    const cutsAWord = /^\S/.test(rest.slice(head.length));
    const space = cutsAWord ? head.search(/\s\S*$/) : -1;
    if (space > 0) head = head.slice(0, space);
    if (head === '') head = String.fromCodePoint(rest.codePointAt(0)!);
    pieces.push(head.trimEnd());
    rest = rest.slice(head.length).trimStart();
  }
  if (rest) pieces.push(rest);
  return pieces;
}

/**
 * A meeting's summary (docs/protocol.md#meeting-summarize). The local model writes it only when it has a chat
 * template (a completion model continues a transcript, it does not summarise one), in
 * chunks that fit its context merged level by level; output that fails the degenerate
 * check, a failed call or no suitable model gives the extractive summary instead, with
 * the reason recorded. Never throws: a summary must never cost the meeting its transcript.
 */
export class MeetingSummarizer {
  constructor(private readonly inference: LocalInference) {}

  async summarize(lines: readonly TranscriptLine[], options: SummarizeOptions = {}): Promise<SummaryOutcome> {
    if (!lines.some((line) => /\S/.test(line.text))) return { summary: null, summary_error: 'transcript is empty', summary_kind: null, summary_reason: null };
    const template = options.template ?? DEFAULT_TEMPLATE;
    const extractive = (reason: string): SummaryOutcome => ({
      summary: extractiveSummary(lines, template.extractive, options.transcriptLanguage),
      summary_error: null,
      summary_kind: 'extractive',
      summary_reason: reason,
    });
    let choice: Awaited<ReturnType<LocalInference['summaryModel']>>;
    try {
      choice = await this.inference.summaryModel();
    } catch (error) {
      return extractive(`the models cannot be listed: ${(error as Error).message}`);
    }
    if (choice.model === null) return extractive(choice.reason);
    try {
      const text = await this.modelSummary(choice.model, Math.min(choice.context_length ?? FALLBACK_WINDOW, MAX_CONTEXT_TOKENS), lines, template, options);
      const check = checkModelOutput(text, lines.map((line) => line.text).join('\n'));
      if (check.degenerate) return extractive(`${check.reason} (model '${choice.model}')`);
      return { summary: text, summary_error: null, summary_kind: 'model', summary_reason: null };
    } catch (error) {
      if (options.signal?.aborted) return { summary: null, summary_error: `no summary: ${(error as Error).message}`, summary_kind: null, summary_reason: null };
      return extractive(`the model '${choice.model}' failed: ${(error as Error).message}`);
    }
  }

  /** Map-reduce over chunks that fit `window`; each call is one admission permit, reported through `onProgress`. */
  private async modelSummary(
    model: string,
    window: number,
    lines: readonly TranscriptLine[],
    template: SummaryTemplate,
    options: SummarizeOptions,
  ): Promise<string> {
    const instruction = options.language ? `${template.instruction} Write the summary in the language with code '${options.language}'.` : template.instruction;
    const plan = planPrompts(window, instruction);
    const chunks = chunkTranscript(transcriptLines(lines), plan.chunk.textBytes);
    let calls = 0;
    let planned = chunks.length;
    const generate = async (shape: PromptShape, text: string) => {
      const result = await this.inference.generate({ model, prompt: shape.head + text + shape.cue, max_tokens: plan.maxTokens, temperature: 0 }, options);
      options.onProgress?.({ done: ++calls, total: planned });
      return result.text.trim();
    };
    let parts = await inOrder(chunks, (chunk) => generate(plan.chunk, chunk));
    // Each part is capped at under half the merge room, so every merge call takes at least two and the levels shrink.
    const partBytes = Math.floor((plan.merge.textBytes - 1) / 2);
    while (parts.filter(Boolean).length > 1) {
      const groups = packLines(
        parts.filter(Boolean).map((part) => splitByBytes(part, partBytes)[0]!),
        plan.merge.textBytes,
      );
      planned += groups.length;
      parts = await inOrder(groups, (group) => generate(plan.merge, group.join('\n')));
    }
    return parts.find(Boolean) ?? '';
  }
}

/**
 * What a `meeting.summarize` asked for that an extractive summary cannot give: a language
 * (it keeps the transcript's own words) or a user template (instructions only a model can
 * follow). `null` when the outcome honours every option.
 */
export function unhonouredOption(
  outcome: SummaryOutcome,
  template: SummaryTemplate,
  language: string | undefined,
): { field: 'language' | 'template'; why: string } | null {
  if (outcome.summary_kind !== 'extractive') return null;
  const extractive = `the summary would be extractive (${outcome.summary_reason})`;
  if (language !== undefined)
    return { field: 'language', why: `${extractive}, which keeps the transcript's own words, so it cannot be written in '${language}'` };
  if (template.extractive !== template.name)
    return { field: 'template', why: `${extractive}, and template '${template.name}' holds instructions only a model can follow` };
  return null;
}

/** One call at a time: a summary never holds more than one admission permit. */
async function inOrder<T>(items: readonly T[], run: (item: T) => Promise<string>): Promise<string[]> {
  const results: string[] = [];
  for (const item of items) results.push(await run(item));
  return results;
}

function prefixWithin(text: string, maxBytes: number): string {
  let bytes = 0;
  let end = 0;
  for (const char of text) {
    bytes += byteLength(char);
    if (bytes > maxBytes) break;
    end += char.length;
  }
  return text.slice(0, end);
}

const byteLength = (text: string) => Buffer.byteLength(text, 'utf8');
