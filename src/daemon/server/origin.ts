import { isLoopbackHost } from '../../protocol/text.js';

/** Where the daemon listens, as the upgrade checks need it. */
export interface ListenAddress {
  /** The address bound (`--bind`), e.g. `127.0.0.1`. */
  bind: string;
  port: number;
}

const WILDCARD_BINDS = new Set(['0.0.0.0', '::', '']);

/** `host[:port]` or `[v6][:port]`, split; `null` when it is not of that shape. */
function splitHostPort(value: string): { name: string; port: number | null } | null {
  const match = /^(\[[^\]]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(value);
  if (!match) return null;
  return { name: match[1]!.replace(/^\[(.*)\]$/, '$1').toLowerCase(), port: match[2] === undefined ? null : Number(match[2]) };
}

/** A name this daemon answers to: a loopback name, or the address it is bound to (any name when bound to all addresses). */
function isOwnName(name: string, listen: ListenAddress): boolean {
  if (isLoopbackHost(name)) return true;
  const bind = listen.bind.replace(/^\[(.*)\]$/, '$1').toLowerCase();
  return WILDCARD_BINDS.has(bind) || name === bind;
}

/** A peer on this machine. */
export function isLoopbackPeer(address: string | undefined): boolean {
  return address !== undefined && isLoopbackHost(address.replace(/^::ffff:/, ''));
}

/** A `Host` header naming a loopback name (any port): what the browser page and its sign-in are served to. */
export function hasLoopbackHost(host: string | undefined): boolean {
  const parts = host === undefined ? null : splitHostPort(host);
  return parts !== null && isLoopbackHost(parts.name);
}

/**
 * The upgrade's `Host` must name this daemon with its own port (issue 26): a page on another
 * site whose name resolves to 127.0.0.1 (DNS rebinding) sends that site's name, and a request
 * for another local port is not ours. HTTP/1.1 clients always send `Host`.
 */
export function isOwnHost(host: string | undefined, listen: ListenAddress): boolean {
  const parts = host === undefined ? null : splitHostPort(host);
  return parts !== null && parts.port === listen.port && isOwnName(parts.name, listen);
}

/**
 * An absent Origin (a non-browser client) or the daemon's own page, `http://<loopback
 * name>:<its port>`, is allowed; any other page, including one served from another local
 * port, is refused (docs/protocol.md#transport, issue 26).
 */
export function isAllowedOrigin(origin: string | undefined, listen: ListenAddress): boolean {
  if (origin === undefined) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  const port = url.port === '' ? 80 : Number(url.port);
  return url.protocol === 'http:' && port === listen.port && isOwnName(url.hostname.replace(/^\[(.*)\]$/, '$1'), listen);
}

export { isLoopbackHost } from '../../protocol/text.js';
