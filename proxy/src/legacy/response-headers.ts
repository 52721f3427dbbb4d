import type { IncomingMessage, ServerResponse } from 'node:http';
import { connectionTokens, isResponseHopByHop } from './hop-by-hop.ts';

export interface HeaderRewrite {
  /** The legacy origin, e.g. `http://127.0.0.1:4000`. */
  legacyOrigin: string;
  /** The legacy host name, for cookie Domain attributes. */
  legacyHostname: string;
}

/**
 * Copies the legacy response's header fields onto the client response from its raw header
 * pairs: repeated fields stay repeated and in order (several Set-Cookie, several Link),
 * hop-by-hop fields go, and anything that would send the browser to the legacy origin is
 * pointed back at the proxy: an absolute Location, and a cookie Domain naming the legacy host
 * (dropped, so the cookie becomes host-only on the proxy's host).
 *
 * Per field, setHeader on its first occurrence and appendHeader on a repeat, not
 * writeHead(status, array): once the edge has set X-Correlation-Id, Node's writeHead folds an
 * array's repeated names into one, and the frontend would lose cookies. (appendHeader on a
 * first occurrence validates twice and calls setHeader anyway: this runs per forwarded request.)
 * The raw pairs are read twice instead of `proxyRes.headers`, which Node builds on first access.
 */
export function copyResponseHeaders(
  proxyRes: IncomingMessage,
  res: ServerResponse,
  publicOrigin: () => string,
  rw: HeaderRewrite,
): void {
  const raw = proxyRes.rawHeaders;
  let listed: readonly string[] = NONE;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') listed = listed.concat(connectionTokens(raw[i + 1]));
  }
  const seen: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    let value = raw[i + 1]!;
    const lower = name.toLowerCase();
    // The proxy's own correlation id (the one it forwarded) is already on the response.
    if (lower === 'x-correlation-id' || isResponseHopByHop(lower, listed)) continue;
    if (lower === 'location' || lower === 'content-location') {
      value = rewriteLocation(value, rw.legacyOrigin, publicOrigin);
    } else if (lower === 'set-cookie') {
      value = rewriteCookieDomain(value, rw.legacyHostname);
    }
    if (seen.includes(lower)) {
      res.appendHeader(name, value);
    } else {
      seen.push(lower);
      res.setHeader(name, value);
    }
  }
}

const NONE: readonly string[] = [];

export function rewriteLocation(value: string, legacyOrigin: string, publicOrigin: () => string): string {
  if (!value.startsWith(legacyOrigin)) return value;
  const next = value.charAt(legacyOrigin.length);
  // Only the origin itself, not a longer host that merely starts the same (`:4000` vs `:40001`).
  if (next !== '' && next !== '/' && next !== '?' && next !== '#') return value;
  return publicOrigin() + value.slice(legacyOrigin.length);
}

const DOMAIN_ATTR = /;\s*domain=\.?([^;]*)/i;

export function rewriteCookieDomain(cookie: string, legacyHostname: string): string {
  const m = DOMAIN_ATTR.exec(cookie);
  if (!m || m[1]!.trim().toLowerCase() !== legacyHostname) return cookie;
  return cookie.slice(0, m.index) + cookie.slice(m.index + m[0].length);
}
