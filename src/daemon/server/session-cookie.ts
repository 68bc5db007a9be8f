import type { IncomingMessage } from 'node:http';
import { parseCookie, stringifySetCookie } from 'cookie';

/**
 * Cookies are not scoped by port (RFC 6265 §8.5), so two daemons on one host would
 * overwrite each other's cookie under one name; the name carries the daemon's port.
 */
export function sessionCookieName(port: number): string {
  return `car_session_${port}`;
}

/** The port the request arrived on: the daemon's own, whatever the Host header says. */
export function daemonPortOf(req: IncomingMessage): number {
  return req.socket.localPort ?? 0;
}

/**
 * The browser session cookie: HttpOnly (no script reads it), SameSite=Strict (no other site's
 * page or link sends it), host-only (no Domain) and Path=/, expiring with the session. Not
 * `Secure`: the daemon speaks plain HTTP on loopback, where a Secure cookie is not stored by
 * every browser.
 */
export function sessionCookieHeader(port: number, token: string, expiresAt: Date, now = Date.now()): string {
  return stringifySetCookie({
    name: sessionCookieName(port),
    value: token,
    httpOnly: true,
    sameSite: 'strict',
    path: '/',
    maxAge: Math.max(0, Math.ceil((expiresAt.getTime() - now) / 1000)),
    expires: expiresAt,
  });
}

/** Tells the browser to drop the cookie (sign-out, or a cookie the daemon no longer knows). */
export function clearedSessionCookieHeader(port: number): string {
  return stringifySetCookie({ name: sessionCookieName(port), value: '', httpOnly: true, sameSite: 'strict', path: '/', maxAge: 0, expires: new Date(0) });
}

/** The session cookie a request carries for this daemon, if any. */
export function sessionCookieOf(req: IncomingMessage): string | undefined {
  const header = req.headers.cookie;
  return header ? parseCookie(header)[sessionCookieName(daemonPortOf(req))] : undefined;
}
