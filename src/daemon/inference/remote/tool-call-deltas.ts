import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { randomHex } from '../../ids.js';

type ToolCallDelta = NonNullable<ChatCompletionChunk.Choice.Delta['tool_calls']>[number];

/** A call as the server streamed it: `arguments` is the model's text, not yet parsed. */
export interface StreamedToolCall {
  /** The server's id, which the tool message answers (not the id in `tool_calls`). */
  id: string;
  name: string;
  arguments: string;
}

/**
 * The `tool_calls` of one streamed turn, put together from their deltas as the openai
 * package's own ChatCompletionStream does: keyed by `index` (calls may interleave), the id
 * and name taken when they come, the arguments concatenated.
 */
export class ToolCallDeltas {
  private readonly byIndex = new Map<number, StreamedToolCall>();

  get size(): number {
    return this.byIndex.size;
  }

  add(deltas: readonly ToolCallDelta[]): void {
    for (const { index, id, function: fn } of deltas) {
      // A server that sends one call may leave out its index.
      const key = index ?? 0;
      const call = this.byIndex.get(key) ?? { id: '', name: '', arguments: '' };
      this.byIndex.set(key, call);
      if (id) call.id = id;
      if (fn?.name) call.name = fn.name;
      if (fn?.arguments) call.arguments += fn.arguments;
    }
  }

  /** In index order; a call the server gave no id gets one, so its result can answer it. */
  calls(): StreamedToolCall[] {
    return [...this.byIndex.entries()].sort(([a], [b]) => a - b).map(([, call]) => ({ ...call, id: call.id || `call_${randomHex(6)}` }));
  }
}
