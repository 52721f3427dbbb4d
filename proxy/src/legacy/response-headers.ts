import type { IncomingMessage, ServerResponse } from 'node:http';
import { connectionTokens, isResponseHopByHop } from './hop-by-hop.ts';

export interface HeaderRewrite {
  /** The legacy origin, e.g. `http://127.0.0.1:4000`. */
  legacyOrigin: string;
  /** The legacy host name, for cookie Domain attributes. */
  legacyHostname: string;
}

/**
 * The legacy response's header fields as the client should get them, as flat
 * `[name, value, name, value, ...]` pairs from its raw header pairs: repeated fields stay
 * repeated and in order (several Set-Cookie, several Link), hop-by-hop fields go, and
 * anything that would send the browser to the legacy origin is pointed back at the proxy: an
 * absolute Location or Content-Location, the targets of Link (pagination, related
 * resources), and a cookie Domain naming the legacy host (dropped, so the cookie becomes
 * host-only on the proxy's host). The legacy API's own X-Correlation-Id is left out:
 * the client gets the one the proxy forwarded. (The raw pairs are read, not
 * `proxyRes.headers`, which Node builds on first access.)
 */
export function legacyHeaderPairs(proxyRes: IncomingMessage, publicOrigin: () => string, rw: HeaderRewrite): string[] {
  const raw = proxyRes.rawHeaders;
  let listed: readonly string[] = NONE;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') listed = listed.concat(connectionTokens(raw[i + 1]));
  }
  const pairs: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    let value = raw[i + 1]!;
    const lower = name.toLowerCase();
    if (lower === 'x-correlation-id' || isResponseHopByHop(lower, listed)) continue;
    if (lower === 'location' || lower === 'content-location') {
      value = rewriteLocation(value, rw.legacyOrigin, publicOrigin);
    } else if (lower === 'link') {
      value = rewriteLinks(value, rw.legacyOrigin, publicOrigin);
    } else if (lower === 'set-cookie') {
      value = rewriteCookieDomain(value, rw.legacyHostname);
    }
    pairs.push(name, value);
  }
  return pairs;
}

/**
 * Writes the status line and the legacy header pairs (plus the correlation id, when the
 * response does not carry it yet) onto the client response.
 *
 * A response with no header set yet takes Node's fast path: `writeHead(status, pairs)` keeps
 * the pairs as given, repeats included, and formats them once. A response that already has
 * headers (a migrated route's legacy side went through Express) cannot: there Node's writeHead
 * folds an array's repeated names into one, and the frontend would lose cookies. So each field
 * is set on its first occurrence and appended on a repeat.
 */
export function writeLegacyHead(
  res: ServerResponse,
  status: number,
  statusMessage: string | undefined,
  pairs: string[],
  correlationId: string | undefined,
): void {
  if (res.getHeaderNames().length === 0) {
    if (correlationId !== undefined) pairs.push('X-Correlation-Id', correlationId);
    res.writeHead(status, statusMessage || undefined, pairs);
    return;
  }
  res.statusCode = status;
  if (statusMessage) res.statusMessage = statusMessage;
  if (correlationId !== undefined && !res.hasHeader('x-correlation-id')) res.setHeader('X-Correlation-Id', correlationId);
  const seen: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i]!;
    const lower = name.toLowerCase();
    if (seen.includes(lower)) {
      res.appendHeader(name, pairs[i + 1]!);
    } else {
      seen.push(lower);
      res.setHeader(name, pairs[i + 1]!);
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

const LINK_TARGET = /<([^>]*)>/g;

/** `<http://legacy/api/x?page=2>; rel="next", <...>`: each target at the legacy origin, pointed at the proxy. */
export function rewriteLinks(value: string, legacyOrigin: string, publicOrigin: () => string): string {
  if (!value.includes(legacyOrigin)) return value;
  return value.replace(LINK_TARGET, (whole, target: string) => {
    const rewritten = rewriteLocation(target, legacyOrigin, publicOrigin);
    return rewritten === target ? whole : `<${rewritten}>`;
  });
}

const DOMAIN_ATTR = /;\s*domain=\.?([^;]*)/i;

export function rewriteCookieDomain(cookie: string, legacyHostname: string): string {
  const m = DOMAIN_ATTR.exec(cookie);
  if (!m || m[1]!.trim().toLowerCase() !== legacyHostname) return cookie;
  return cookie.slice(0, m.index) + cookie.slice(m.index + m[0].length);
}
