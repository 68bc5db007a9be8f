/** JSON-RPC error codes of the car protocol (docs/protocol.md#errors). */
export const ErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  Internal: -32603,
  AuthRequired: -32001,
  ApprovalDenied: -32003,
  DeadlineExceeded: -32004,
  HandshakeRequired: -32005,
  VersionMismatch: -32006,
  ContentRefused: -32007,
  NotFound: -32010,
  Conflict: -32011,
  Forbidden: -32012,
  LimitExceeded: -32013,
  Unavailable: -32014,
  /** LSP's code for a request the client cancelled with `$/cancelRequest` (docs/protocol.md#cancellation). */
  RequestCancelled: -32800,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/** What each code means and what follows for the connection: the error table of `rpc.discover` and docs/protocol.md. */
export const ERROR_MEANINGS: Readonly<Record<keyof typeof ErrorCode, string>> = {
  ParseError: 'The frame is not valid JSON (`id` is null). The connection stays open.',
  InvalidRequest: 'Not a JSON-RPC 2.0 request: a batch, a null or non-safe-integer id, an id already in flight on this connection, a missing method.',
  MethodNotFound: 'No such method (before sign-in every request gets -32001 instead).',
  InvalidParams: 'Params of the wrong shape, type or value; `data.field` names the param when one is to blame.',
  Internal: 'An unexpected failure in the daemon; the request may have taken effect, so re-read before retrying.',
  AuthRequired: 'A request before `session.auth`, or a failed sign-in. The daemon then closes the connection (1008).',
  ApprovalDenied: 'The method approval gate: a human denied the call, or nobody answered in time.',
  DeadlineExceeded:
    'The handler ran past its deadline (`CAR_HANDLER_TIMEOUT`, 30 minutes by default) or a client did not answer a server request in time; the work may have committed, so re-read before retrying.',
  HandshakeRequired: 'The method needs `server.handshake` first (`host.subscribe`).',
  VersionMismatch: '`server.handshake` named a protocol version other than 2.',
  ContentRefused: 'Reserved: a content filter in front of a model refused the request (this daemon has none).',
  NotFound: 'An unknown session, agent, approval, voice session, meeting, surface, model or file (`data.kind: "not_found"`).',
  Conflict: 'The id exists already, or the object is in the wrong state: approval already resolved, meeting still recording (`data.kind: "conflict"`).',
  Forbidden: 'Owned by another session, or the host role is needed (`data.kind: "forbidden"`).',
  LimitExceeded: 'A size or count limit: A2UI limits, voice sessions, chunk size, login codes (`data.kind: "limit_exceeded"`).',
  Unavailable: 'An engine or model cannot run here: no model file, a load failure, no speech model (`data.kind: "unavailable"`).',
  RequestCancelled:
    'The client cancelled the request with `$/cancelRequest` (`data.kind: "cancelled"`); streams answer with their own cancelled result instead.',
};

/** `error.data.kind` for the application codes, so clients can branch without parsing messages. */
export const ErrorKind: Partial<Record<number, string>> = {
  [ErrorCode.NotFound]: 'not_found',
  [ErrorCode.Conflict]: 'conflict',
  [ErrorCode.Forbidden]: 'forbidden',
  [ErrorCode.LimitExceeded]: 'limit_exceeded',
  [ErrorCode.Unavailable]: 'unavailable',
  [ErrorCode.RequestCancelled]: 'cancelled',
};

export interface RpcErrorData {
  kind?: string;
  field?: string;
  allowed?: readonly string[];
  hint?: string;
  [key: string]: unknown;
}

export interface RpcErrorObject {
  code: number;
  message: string;
  data?: RpcErrorData;
}

/** An error that travels as a JSON-RPC error object; thrown by handlers, raised by the client. */
export class RpcError extends Error {
  readonly code: number;
  readonly data?: RpcErrorData;

  constructor(code: number, message: string, data?: RpcErrorData) {
    super(message);
    this.name = 'RpcError';
    this.code = code;
    const kind = ErrorKind[code];
    this.data = kind && !data?.kind ? { kind, ...data } : data;
  }

  toJSON(): RpcErrorObject {
    return this.data ? { code: this.code, message: this.message, data: this.data } : { code: this.code, message: this.message };
  }

  static from(obj: RpcErrorObject): RpcError {
    return new RpcError(obj.code, obj.message, obj.data);
  }
}

export const invalidParams = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.InvalidParams, message, data);
export const notFound = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.NotFound, message, data);
export const conflict = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.Conflict, message, data);
export const forbidden = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.Forbidden, message, data);
export const limitExceeded = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.LimitExceeded, message, data);
export const unavailable = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.Unavailable, message, data);
export const internalError = (message: string, data?: RpcErrorData) => new RpcError(ErrorCode.Internal, message, data);
