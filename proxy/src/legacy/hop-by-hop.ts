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
 * Is this request field for this connection only? Every field the Connection header lists
 * (`listed`) is, except those that frame or route the message: the edge refuses a request
 * whose Connection names them (edge/request-head.ts), so they never reach here listed. For a
 * WebSocket upgrade, Connection and Upgrade are the point of the request and are kept.
 */
export function isRequestHopByHop(name: string, value: string | string[], listed: readonly string[], isUpgrade: boolean): boolean {
  if (isUpgrade && (name === 'connection' || name === 'upgrade')) return false;
  // "TE: trailers" may pass (it says the client accepts trailers end to end).
  if (name === 'te') return String(value).trim().toLowerCase() !== 'trailers';
  return HOP_BY_HOP_SET.has(name) || (listed.length !== 0 && listed.includes(name));
}
const HOP_BY_HOP_SET: ReadonlySet<string> = new Set(HOP_BY_HOP);

/** Filters raw response header pairs, dropping hop-by-hop ones. Returns the kept flat list. */
export function isResponseHopByHop(lowerName: string, listed: readonly string[]): boolean {
  return HOP_BY_HOP.includes(lowerName) || (listed.length > 0 && listed.includes(lowerName));
}

export { connectionTokens };
