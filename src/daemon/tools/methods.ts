import { toolsContract } from '../../protocol/tools.js';
import { implement, type MethodTable } from '../rpc/method-table.js';
import type { ToolService } from './tool-service.js';

/** `tools.register`, `tools.unregister`, `tools.list` (issue 23); `infer` calls the tools through `state.tools`. */
export const toolsMethods = (tools: ToolService): MethodTable =>
  implement(toolsContract, {
    'tools.register': {
      handler: (params, { session }) => tools.register(params, session),
    },

    'tools.unregister': {
      handler: (params, { session }) => tools.unregister(params.names, session),
    },

    'tools.list': {
      handler: (_params, { session }) => tools.list(session),
    },
  });
