/** Checks shared by the schemas, written without Node built-ins so a browser can validate too. */

const encoder = new TextEncoder();

/** The UTF-8 size of a string, as the daemon will store or send it. */
export function utf8Length(text: string): number {
  // ASCII is one byte per code unit; only other text needs the encoder.
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length;
  return text.length;
}

/** An absolute path on the daemon host (a POSIX system). */
export const isAbsolutePath = (path: string): boolean => path.startsWith('/');

/** A loopback host name or address: `localhost`, `::1` or `127.0.0.0/8`. */
export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}
