/** JSON-RPC error codes of the car protocol (PROTOCOL.md §3.1). */
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
  /** LSP's code for a request the client cancelled with `$/cancelRequest` (§23). */
  RequestCancelled: -32800,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

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
