import { PROTOCOL_VERSION } from '../../protocol/methods.js';
import type { z } from 'zod';
import { authContract, type LoginCodeResult, type MemoryScope, type SessionAuthResult, type sessionAuthParams } from '../../protocol/core.js';
import { ErrorCode, RpcError, conflict, forbidden, invalidParams, limitExceeded } from '../../protocol/errors.js';
import { VERSION } from '../../version.js';
import { LOGIN_CODES_PER_MINUTE, type LoginRole } from './login-codes.js';
import type { AuthPolicy } from './tokens.js';
import { log, PRE_AUTH_PEER } from '../log.js';
import { assertValidNamespace } from '../memgine/namespace.js';
import { implement, type CallContext, type MethodTable } from '../rpc/method-table.js';
import type { ClientSession } from '../sessions/client-session.js';
import type { SignInJournal } from '../sessions/sign-in-journal.js';
import type { JournalWriter } from '../state/capability.js';

/** What authentication needs of the server. */
export interface AuthHost {
  readonly auth: Pick<AuthPolicy, 'enabled' | 'hint' | 'hostHint' | 'checkClientToken' | 'checkHostToken' | 'loginCodes'>;
  readonly journal: JournalWriter;
  readonly signIns: Pick<SignInJournal, 'signedIn' | 'failed'>;
  memoryScopeOf(session: ClientSession): MemoryScope;
}

/** `session.auth`, `session.login_code` and `server.handshake` (docs/protocol.md#authentication, docs/protocol.md#server-handshake). */
export const authMethods = (server: AuthHost): MethodTable =>
  implement(authContract, {
    'session.auth': {
      allowBeforeAuth: true,
      handler(params, ctx): SessionAuthResult {
        const { session } = ctx;
        if (params.agent_id !== undefined)
          throw invalidParams('agent_id binding is not supported; authenticate with token or host_token only', { field: 'agent_id' });
        if (params.memory_namespace !== undefined) assertValidNamespace(params.memory_namespace);

        if (!server.auth.enabled) {
          bindNamespace(params.memory_namespace, ctx);
          session.authenticated = true;
          session.role = 'anonymous';
          server.signIns.signedIn(session, { role: 'anonymous', memory_scope: server.memoryScopeOf(session) });
          return withNamespace({ ok: true, auth_enabled: false }, session.memoryNamespace);
        }
        if (session.authenticated && !presentsCredential(params)) {
          // Signed in on its upgrade (the browser UI's session cookie): nothing to check, only a namespace to bind.
          bindNamespace(params.memory_namespace, ctx);
          return signedIn(session);
        }
        const presented = presentedCredential(params, server.auth.hint);
        const role = signInRole(presented, server.auth);
        if (role === null) {
          if (server.signIns.failed('session_auth')) {
            log.warn(
              'authentication failed; closing (further failures this minute are counted, not logged one by one)',
              { session: session.id, remote: session.remote, as: presented.kind },
              PRE_AUTH_PEER,
            );
          }
          ctx.closeAfterResponse(1008, 'authentication failed');
          throw new RpcError(ErrorCode.AuthRequired, failureMessage(presented.kind, server.auth));
        }
        bindNamespace(params.memory_namespace, ctx);
        session.authenticated = true;
        if (role === 'host' || session.role !== 'host') session.role = role;
        server.signIns.signedIn(session, { role: session.role, via: presented.kind, memory_scope: server.memoryScopeOf(session) });
        return signedIn(session);
      },
    },

    'session.login_code': {
      handler(params, { session }): LoginCodeResult {
        if (params.role === 'host' && session.role === 'client') {
          throw forbidden('a host login code needs host rights; authenticate this connection with the host token (CAR_HOST_TOKEN or run/host-token)', {
            field: 'role',
          });
        }
        const minted = server.auth.loginCodes.mint(params.role, session.id);
        if ('refused' in minted) {
          throw limitExceeded(
            minted.refused === 'session_rate'
              ? `this session minted ${LOGIN_CODES_PER_MINUTE} login codes in the last minute; wait a minute, or use one of them`
              : 'the daemon holds too many unused login codes; wait a minute for them to expire',
          );
        }
        server.journal.append('login_code_minted', session.id, { role: params.role });
        return { code: minted.code, expires_at: minted.expiresAt.toISOString() };
      },
    },

    'server.handshake': {
      handler(params, { session }) {
        const sent = params.protocol_version;
        if (sent !== PROTOCOL_VERSION) {
          const shown = sent === undefined ? 'nothing' : JSON.stringify(sent);
          throw new RpcError(
            ErrorCode.VersionMismatch,
            `protocol version mismatch: daemon speaks ${PROTOCOL_VERSION}, client sent ${shown}; upgrade the client`,
          );
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
    throw conflict(`this session is already bound to memory namespace '${session.memoryNamespace}'; open a new connection to use another one`, {
      field: 'memory_namespace',
    });
  }
  session.memoryNamespace = namespace;
}

function signedIn(session: ClientSession): SessionAuthResult {
  const result: SessionAuthResult = session.role === 'host' ? { ok: true, auth_enabled: true, role: 'host' } : { ok: true, auth_enabled: true };
  return withNamespace(result, session.memoryNamespace);
}

function withNamespace(result: SessionAuthResult, namespace: string | null): SessionAuthResult {
  return namespace === null ? result : { ...result, memory_namespace: namespace };
}

type Credential = { kind: 'token'; value: string } | { kind: 'host_token'; value: string } | { kind: 'login_code'; value: string };
type AuthChecks = AuthHost['auth'];

function presentsCredential(params: z.output<typeof sessionAuthParams>): boolean {
  return params.token !== undefined || params.host_token !== undefined || params.login_code !== undefined;
}

/** Exactly one credential: a token, a host token, or a login code (a code cannot be combined with a token). */
function presentedCredential(params: z.output<typeof sessionAuthParams>, hint: string): Credential {
  if (params.login_code !== undefined) {
    if (params.token !== undefined || params.host_token !== undefined) {
      throw invalidParams('pass login_code on its own, without token or host_token', { field: 'login_code' });
    }
    return { kind: 'login_code', value: params.login_code };
  }
  if (params.host_token !== undefined) return { kind: 'host_token', value: params.host_token };
  if (params.token !== undefined) return { kind: 'token', value: params.token };
  throw invalidParams(`session.auth needs 'token', 'host_token' or 'login_code'; ${hint}`, { field: 'token' });
}

function signInRole(credential: Credential, auth: AuthChecks): LoginRole | null {
  if (credential.kind === 'login_code') return auth.loginCodes.redeem(credential.value);
  if (credential.kind === 'host_token') return auth.checkHostToken(credential.value) ? 'host' : null;
  return auth.checkClientToken(credential.value) ? 'client' : null;
}

function failureMessage(kind: Credential['kind'], auth: AuthChecks): string {
  if (kind === 'login_code')
    return 'auth failed: the login code is unknown, already used or expired (codes work once, for 60 s); run `car ui` for a fresh link';
  return `auth failed: token mismatch; ${kind === 'host_token' ? auth.hostHint : auth.hint}`;
}
