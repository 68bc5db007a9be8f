/** The error codes Node's fetch (undici) and `net` put on a failed request's `cause`, in words a user can act on. */
const CAUSES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'the connection was reset',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name cannot be resolved now (DNS unreachable or offline)',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'the network is unreachable (offline?)',
  ETIMEDOUT: 'the connection timed out',
  EPIPE: 'the connection was closed while sending',
  UND_ERR_CONNECT_TIMEOUT: 'the connection timed out',
  UND_ERR_SOCKET: 'the server closed the connection',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
  UND_ERR_BODY_TIMEOUT: 'the response body stopped arriving',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate cannot be verified',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is for another host',
};

/** Whether the request never reached the server, so sending it again cannot run anything twice. */
export function isConnectFailure(error: unknown): boolean {
  const code = causeCode(error);
  return code !== undefined && ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_CONNECT_TIMEOUT'].includes(code);
}

/** `connection refused (ECONNREFUSED)`; fetch hides the cause behind "fetch failed", this digs it out. */
export function describeNetworkError(error: unknown): string {
  const code = causeCode(error);
  if (code && CAUSES[code]) return `${CAUSES[code]} (${code})`;
  const deepest = deepestCause(error);
  // undici refuses the ports browsers block (e.g. 9, 25) with this bare message.
  if (deepest.message === 'bad port') return 'the port is one that fetch refuses to use (a blocked port such as 9 or 25); serve on another port';
  if (deepest.message === 'terminated' || /other side closed/.test(deepest.message)) return 'the server closed the connection mid-way';
  return code ? `${deepest.message} (${code})` : deepest.message;
}

function causeCode(error: unknown): string | undefined {
  for (let current: unknown = error, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
  }
  return undefined;
}

function deepestCause(error: unknown): Error {
  let current = error instanceof Error ? error : new Error(String(error));
  for (let depth = 0; current.cause instanceof Error && depth < 5; depth++) current = current.cause;
  return current;
}
