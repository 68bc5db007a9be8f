import { readdirSync, readFileSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hasLoopbackHost, isLoopbackPeer } from './origin.js';

/** `npm run build` bundles the page here (dist/ui, next to dist/src). */
export const UI_DIR = fileURLToPath(new URL('../../../ui/', import.meta.url));

/**
 * Everything the page may load comes from this origin; no inline script or style, no
 * frames, no forms, no plugins. `connect-src 'self'` covers the WebSocket back to the
 * daemon (CSP Level 3 matches ws: for the page's own host and port).
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "media-src 'self' blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** What assetFile answers when there is no built UI to serve. */
const MISSING_BUILD = Symbol('missing build');

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

const SECURITY_HEADERS = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'x-frame-options': 'DENY',
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'permissions-policy': 'microphone=(self), camera=(), geolocation=()',
};

/**
 * Plain HTTP on the daemon's port (docs/protocol.md#transport): GET/HEAD of the page and its assets, for
 * loopback peers that address the daemon by a loopback name; every other request keeps
 * the WebSocket-only answer. The page holds no secret: it trades the one-time code from the
 * URL fragment (which browsers never send) for an HttpOnly session cookie at `/session`
 * (browser-sign-in.ts), which signs its WebSocket in.
 */
export function handleHttpRequest(req: IncomingMessage, res: ServerResponse, uiDir = UI_DIR): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') return answerWebSocketOnly(res);
  if (!isLoopbackPeer(req.socket.remoteAddress)) return answerPlain(res, 403, 'the car UI is served to this machine only (loopback)\n');
  // A page on another site whose name resolves to 127.0.0.1 (DNS rebinding) sends its own Host.
  if (!hasLoopbackHost(req.headers.host))
    return answerPlain(res, 403, 'open the car UI at http://127.0.0.1:<port>/ (the Host header must be a loopback name)\n');
  const pathname = requestPath(req.url);
  if (pathname === null) return answerPlain(res, 400, 'the request target is not a path; open the car UI at http://127.0.0.1:<port>/\n');
  const file = assetFile(pathname, uiDir);
  if (file === MISSING_BUILD) return answerPlain(res, 503, 'the car UI is not built; run `npm run build` in the car package\n');
  if (file === null) return answerWebSocketOnly(res);
  let body: Buffer;
  try {
    body = readFileSync(join(uiDir, file));
  } catch {
    return answerWebSocketOnly(res);
  }
  res.writeHead(200, {
    ...SECURITY_HEADERS,
    'content-type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'content-length': body.length,
    'cache-control': 'no-store',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The path of a request target, or `null` when it does not parse: `//` and the like are
 * read as a URL with an empty host, and a throw here would leave the request unanswered.
 */
function requestPath(target: string | undefined): string | null {
  try {
    return new URL(target ?? '/', 'http://127.0.0.1').pathname;
  } catch {
    return null;
  }
}

/** The file for a request path: `/` is the page, anything else must name a file of the bundle directory itself. */
function assetFile(pathname: string, uiDir: string): string | null | typeof MISSING_BUILD {
  let names: string[];
  try {
    names = readdirSync(uiDir);
  } catch {
    return MISSING_BUILD;
  }
  if (pathname === '/') return names.includes('index.html') ? 'index.html' : MISSING_BUILD;
  const name = pathname.slice(1);
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(name) && names.includes(name) && CONTENT_TYPES[extname(name)] !== undefined ? name : null;
}

function answerWebSocketOnly(res: ServerResponse): void {
  res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
  res.end('car daemon: connect with a WebSocket client and speak JSON-RPC 2.0\n');
}

function answerPlain(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'x-content-type-options': 'nosniff' });
  res.end(text);
}
