import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { invalidParams } from '../../protocol/errors.js';

/** The built-in summary templates; a user template is a `<state root>/templates/<name>.md` file. */
export const BUILTIN_TEMPLATES = {
  default: 'List the key points, the decisions, and the action items with their owners.',
  'action-items': 'List only the action items, each with its owner and due date when the transcript gives them.',
  decisions: 'List only the decisions that were made, each in one line.',
  standup: 'Group what was said under three headings: done, next, blockers; per person when names are given.',
} as const;

export type TemplateName = keyof typeof BUILTIN_TEMPLATES;

export interface SummaryTemplate {
  name: string;
  /** The instruction the model gets. */
  instruction: string;
  /** The layout of the extractive summary: a built-in's own, `default` for a user template. */
  extractive: TemplateName;
}

const isBuiltin = (name: string): name is TemplateName => Object.hasOwn(BUILTIN_TEMPLATES, name);

/** A built-in template, or `<templatesDir>/<name>.md` (`-32602` listing the choices when there is neither). */
export async function loadTemplate(name: string, templatesDir: string | null): Promise<SummaryTemplate> {
  if (isBuiltin(name)) return { name, instruction: BUILTIN_TEMPLATES[name], extractive: name };
  if (templatesDir !== null) {
    try {
      const instruction = (await readFile(join(templatesDir, `${name}.md`), 'utf8')).trim();
      if (instruction) return { name, instruction, extractive: 'default' };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
  }
  const user =
    templatesDir === null
      ? []
      : await readdir(templatesDir).then(
          (files) => files.filter((file) => file.endsWith('.md')).map((file) => file.slice(0, -3)),
          () => [],
        );
  const choices = [...Object.keys(BUILTIN_TEMPLATES), ...user];
  throw invalidParams(
    `unknown summary template '${name}'; choose ${choices.join(', ')}, or put a non-empty ${name}.md in ${templatesDir ?? '<state root>/templates'}`,
    { field: 'template', allowed: choices },
  );
}
