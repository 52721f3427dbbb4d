import type { IncomingHttpHeaders } from 'node:http';

/**
 * Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection, so a proxy removes
 * them, together with every field the Connection header names, before forwarding.
 * Trailer is not one, but goes too. Node refuses to send it on a response it does not chunk
 * (HEAD, 304, an HTTP/1.0 client), and a request's trailer fields are not relayed, so it
 * could announce fields that never come. A response's trailer fields themselves are relayed
 * (the catch-all's relayEnd); announcing them is only a SHOULD (RFC 9110 §6.6.2).
 */
const HOP_BY_HOP = ['connection', 'keep-alive', 'proxy-connection', 'te', 'transfer-encoding', 'upgrade', 'trailer'];

function connectionTokens(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((t) => t.trim().toLowerCase())
    .filter(Boolean);
}

/**
 * Strips hop-by-hop request fields in place. For a WebSocket upgrade, Connection and
 * Upgrade are the point of the request and are kept.
 */
export function stripRequestHopByHop(headers: IncomingHttpHeaders, isUpgrade: boolean): void {
  const listed = connectionTokens(headers.connection);
  for (const name of listed) {
    if (isUpgrade && name === 'upgrade') continue;
    delete headers[name];
  }
  for (const name of HOP_BY_HOP) {
    if (headers[name] === undefined) continue; // the common case: a delete costs more than the look
    if (isUpgrade && (name === 'connection' || name === 'upgrade')) continue;
    // "TE: trailers" may pass (it says the client accepts trailers end to end).
    if (name === 'te' && String(headers.te).trim().toLowerCase() === 'trailers') continue;
    delete headers[name];
  }
}

/** Filters raw response header pairs, dropping hop-by-hop ones. Returns the kept flat list. */
export function isResponseHopByHop(lowerName: string, listed: readonly string[]): boolean {
  return HOP_BY_HOP.includes(lowerName) || (listed.length > 0 && listed.includes(lowerName));
}

export { connectionTokens };
