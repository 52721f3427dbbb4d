import type { IncomingMessage } from 'node:http';

const SLASH = 47;
const ABSOLUTE_FORM = /^https?:\/\/([^/?#]*)(.*)$/i;

/**
 * Brings the request target to the form the dispatcher routes on and the legacy API is sent
 * (RFC 9112 §3.2). Returns what is wrong with a target it cannot route, for a 400.
 *
 * - origin-form `/path?query`, nearly every request: left as it is, byte for byte.
 * - asterisk-form `*`, for a server-wide OPTIONS: left as it is, and forwarded so.
 * - absolute-form `http://host/path?query`: a server must accept it (§3.2.2), though
 *   browsers send it only to forward proxies. Its path and query, byte for byte, become the
 *   target and its authority the Host (§3.2.2 says Host is then ignored), so the request is
 *   routed like the origin-form request it stands for, and the legacy API gets origin-form,
 *   as a client must send to an origin server (§3.2.1).
 */
export function normaliseTarget(req: IncomingMessage): string | undefined {
  const url = req.url!;
  if (url.charCodeAt(0) === SLASH) return undefined;
  if (url === '*') return req.method === 'OPTIONS' ? undefined : 'The request target * is for OPTIONS only.';
  const absolute = ABSOLUTE_FORM.exec(url);
  if (!absolute) return 'The request target is neither a path, nor an absolute http(s) URL, nor * for OPTIONS.';
  const [, authority, rest] = absolute as unknown as [string, string, string];
  // RFC 9110 §4.2.4: userinfo in an http(s) URI is to be treated as an error.
  if (authority.includes('@')) return 'The request target carries user information (user@host), which HTTP does not allow.';
  if (!authority || !URL.canParse(`http://${authority}/`)) return 'The request target does not name a valid host.';
  if (rest.startsWith('#')) return 'The request target carries a fragment (#...), which HTTP does not allow.';
  req.url = rest.startsWith('/') ? rest : `/${rest}`;
  req.headers.host = authority;
  return undefined;
}
