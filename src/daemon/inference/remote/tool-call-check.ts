import { z } from 'zod';
import { log } from '../../log.js';
import type { ToolSpec } from '../tool-runner.js';
import type { StreamedToolCall } from './tool-call-deltas.js';

/** A remote model's call, checked: `refused` (what the model reads) when it cannot run. */
export interface CheckedCall {
  tool: string;
  /** The parsed arguments; `{}` when they are not a JSON object. */
  parameters: Record<string, unknown>;
  refused?: string;
}

/** Longer names and messages are cut: a misbehaving server decides what they hold. */
const MAX_NAME_CHARS = 64;
const MAX_DETAIL_CHARS = 300;

/**
 * What a local model's grammar makes sure of, checked for a remote model's calls before
 * any runs (a server may not constrain its output, or may ignore `tool_choice`): the tool
 * was offered in this call, its arguments parse as a JSON object, and they fit the tool's
 * JSON Schema (zod's `fromJSONSchema`, built once per tool). `tools.execute` thus always
 * carries arguments valid against the schema, whichever model made the call.
 */
export class ToolCallCheck {
  private readonly schemas = new Map<string, z.ZodType | null>();

  constructor(private readonly tools: readonly ToolSpec[]) {}

  check(call: StreamedToolCall): CheckedCall {
    const tool = call.name.slice(0, MAX_NAME_CHARS);
    const spec = this.tools.find((offered) => offered.name === call.name);
    if (!spec) {
      const offered = this.tools.map((offered) => offered.name).join(', ');
      return {
        tool,
        parameters: {},
        refused: `${tool ? `tool '${tool}' is not one of the tools offered` : 'the call names no tool of those offered'} (${offered}), so nothing ran; call one of those`,
      };
    }
    let parsed: unknown;
    try {
      // Some servers send no arguments at all for a tool that takes none.
      parsed = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch (error) {
      return {
        tool,
        parameters: {},
        refused: `the arguments of the call to '${tool}' are not valid JSON (${clip((error as Error).message)}), so it did not run; call it again with a JSON object that fits its parameters`,
      };
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      return {
        tool,
        parameters: {},
        refused: `the arguments of the call to '${tool}' are not a JSON object, so it did not run; call it again with a JSON object that fits its parameters`,
      };
    }
    const parameters = parsed as Record<string, unknown>;
    const checked = this.schemaOf(spec)?.safeParse(parameters);
    if (checked && !checked.success) {
      const problems = checked.error.issues.map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('; ');
      return {
        tool,
        parameters,
        refused: `the arguments of the call to '${tool}' do not fit its parameters (${clip(problems)}), so it did not run; call it again with arguments that fit`,
      };
    }
    return { tool, parameters };
  }

  /** `null` when the tool takes any object, or when zod cannot read its schema (then only the object check applies). */
  private schemaOf(spec: ToolSpec): z.ZodType | null {
    if (!this.schemas.has(spec.name)) {
      let schema: z.ZodType | null = null;
      try {
        if (spec.parameters) schema = z.fromJSONSchema(spec.parameters as Parameters<typeof z.fromJSONSchema>[0]);
      } catch (error) {
        log.failure('warn', "a tool's parameters schema cannot be checked; a remote model's calls of it are only checked to be objects", error, {
          tool: spec.name,
        });
      }
      this.schemas.set(spec.name, schema);
    }
    return this.schemas.get(spec.name)!;
  }
}

const clip = (text: string) => (text.length > MAX_DETAIL_CHARS ? `${text.slice(0, MAX_DETAIL_CHARS)}…` : text);
