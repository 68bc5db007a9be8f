import { PROTOCOL_VERSION } from '../../protocol/methods.js';
import { authContract, type MemoryScope, type SessionAuthResult } from '../../protocol/core.js';
import { ErrorCode, RpcError, conflict, invalidParams } from '../../protocol/errors.js';
import { VERSION } from '../../version.js';
import type { AuthPolicy } from './tokens.js';
import { log } from '../log.js';
import { assertValidNamespace } from '../memgine/namespace.js';
import { implement, type CallContext, type MethodTable } from '../rpc/method-table.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { JournalWriter } from '../state/capability.js';

/** What authentication needs of the server. */
export interface AuthHost {
  readonly auth: Pick<AuthPolicy, 'enabled' | 'hint' | 'hostHint' | 'checkClientToken' | 'checkHostToken'>;
  readonly journal: JournalWriter;
  memoryScopeOf(session: ClientSession): MemoryScope;
}

/** `session.auth` (§5.3) and `server.handshake` (§6). */
export const authMethods = (server: AuthHost): MethodTable =>
  implement(authContract, {
    'session.auth': {
      allowBeforeAuth: true,
      handler(params, ctx): SessionAuthResult {
        const { session } = ctx;
        if (params.agent_id !== undefined) throw invalidParams('agent_id binding is not supported; authenticate with token or host_token only', { field: 'agent_id' });
        if (params.memory_namespace !== undefined) assertValidNamespace(params.memory_namespace);

        if (!server.auth.enabled) {
          bindNamespace(params.memory_namespace, ctx);
          session.authenticated = true;
          session.role = 'anonymous';
          server.journal.append('session_authenticated', session.id, { role: 'anonymous', memory_scope: server.memoryScopeOf(session) });
          return withNamespace({ ok: true, auth_enabled: false }, session.memoryNamespace);
        }
        if (params.token === undefined && params.host_token === undefined) {
          throw invalidParams(`session.auth needs 'token' or 'host_token'; ${server.auth.hint}`, { field: 'token' });
        }
        const asHost = params.host_token !== undefined;
        const accepted = asHost ? server.auth.checkHostToken(params.host_token!) : server.auth.checkClientToken(params.token!);
        if (!accepted) {
          server.journal.append('auth_failed', session.id, {});
          log.warn('authentication failed; closing', { session: session.id, remote: session.remote, as: asHost ? 'host' : 'client' });
          ctx.closeAfterResponse(1008, 'authentication failed');
          throw new RpcError(ErrorCode.AuthRequired, `auth failed: token mismatch; ${asHost ? server.auth.hostHint : server.auth.hint}`);
        }
        bindNamespace(params.memory_namespace, ctx);
        session.authenticated = true;
        if (asHost || session.role !== 'host') session.role = asHost ? 'host' : 'client';
        server.journal.append('session_authenticated', session.id, { role: session.role, memory_scope: server.memoryScopeOf(session) });
        const result: SessionAuthResult = session.role === 'host' ? { ok: true, auth_enabled: true, role: 'host' } : { ok: true, auth_enabled: true };
        return withNamespace(result, session.memoryNamespace);
      },
    },

    'server.handshake': {
      handler(params, { session }) {
        const sent = params.protocol_version;
        if (sent !== PROTOCOL_VERSION) {
          const shown = sent === undefined ? 'nothing' : JSON.stringify(sent);
          throw new RpcError(ErrorCode.VersionMismatch, `protocol version mismatch: daemon speaks ${PROTOCOL_VERSION}, client sent ${shown}; upgrade the client`);
        }
        session.protocolVersion = PROTOCOL_VERSION;
        session.clientVersion = params.client_version ?? session.clientVersion;
        return { protocol_version: PROTOCOL_VERSION, server_version: VERSION, client_protocol_version: PROTOCOL_VERSION };
      },
    },
  });

function bindNamespace(namespace: string | undefined, { session }: CallContext): void {
  if (namespace === undefined) return;
  if (session.memoryNamespace !== null && session.memoryNamespace !== namespace) {
    throw conflict(`this session is already bound to memory namespace '${session.memoryNamespace}'; open a new connection to use another one`, { field: 'memory_namespace' });
  }
  session.memoryNamespace = namespace;
}

function withNamespace(result: SessionAuthResult, namespace: string | null): SessionAuthResult {
  return namespace === null ? result : { ...result, memory_namespace: namespace };
}
