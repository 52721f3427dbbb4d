import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

/**
 * X-Forwarded-* and Forwarded (RFC 7239): what a client says about where it came from is
 * believed only as far as trusted hops vouch for it. With no trusted hop (the default) every
 * such field the client sent is removed and the proxy states its own view of the connection.
 * With N trusted hops (load balancers in front of the proxy, each appending its own entry),
 * only the N rightmost entries were written by them: the value the outermost trusted hop saw
 * is the Nth from the right, and anything to its left is the client's own say.
 */
export interface ForwardedPolicy {
  /** The scheme and host the client used: the trusted hops' word for it, else this connection's. */
  clientProto(req: IncomingMessage): 'http' | 'https';
  clientHost(req: IncomingMessage): string | undefined;
  /** The client's address: the one the outermost trusted hop saw, else the connection's peer. */
  clientAddress(req: IncomingMessage): string;
  /** Appends the X-Forwarded-* (and, behind trusted hops, their Forwarded entries) the legacy API gets. */
  appendTo(req: IncomingMessage, pairs: string[]): void;
  /** Incoming fields never forwarded as they came (appendTo states them anew). */
  readonly incoming: ReadonlySet<string>;
}

const INCOMING = new Set(['x-forwarded-for', 'x-forwarded-port', 'x-forwarded-proto', 'x-forwarded-host', 'forwarded']);
const HOST = /^(?:[A-Za-z0-9._~-]+|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$/;
const PORT = /^\d{1,5}$/;

export function createForwardedPolicy(trustedHops: number): ForwardedPolicy {
  const socketProto = (req: IncomingMessage) => ((req.socket as TLSSocket).encrypted ? 'https' : 'http') as 'http' | 'https';
  /** The entry the outermost trusted hop wrote: the Nth from the right (the leftmost, if fewer). */
  const vouched = <T>(list: readonly T[]): T | undefined => (list.length ? list[Math.max(0, list.length - trustedHops)] : undefined);

  if (trustedHops === 0) {
    return {
      incoming: INCOMING,
      clientProto: socketProto,
      clientHost: (req) => req.headers.host,
      clientAddress: peerAddress,
      appendTo(req, pairs) {
        const proto = socketProto(req);
        const host = req.headers.host;
        const port = (host && /:(\d+)$/.exec(host)?.[1]) || (proto === 'https' ? '443' : '80');
        pairs.push('x-forwarded-for', req.socket.remoteAddress ?? '', 'x-forwarded-port', port, 'x-forwarded-proto', proto);
        // An HTTP/1.0 client may send no Host: then there is no host to tell, rather than an empty one.
        if (host) pairs.push('x-forwarded-host', host);
      },
    };
  }

  function clientProto(req: IncomingMessage): 'http' | 'https' {
    const given = (vouched(list(req.headers['x-forwarded-proto'])) ?? vouched(forwardedElements(req))?.proto)?.toLowerCase();
    return given === 'http' || given === 'https' ? given : socketProto(req);
  }
  function clientHost(req: IncomingMessage): string | undefined {
    const given = vouched(list(req.headers['x-forwarded-host'])) ?? vouched(forwardedElements(req))?.host;
    return given !== undefined && HOST.test(given) ? given : req.headers.host;
  }
  function clientAddress(req: IncomingMessage): string {
    const chain = list(req.headers['x-forwarded-for']);
    if (chain.length === 0) return peerAddress(req);
    // Behind the trusted hops the peer is the last of them; the entry the outermost one wrote is the client.
    const given = chain[Math.max(0, chain.length - trustedHops)]!;
    return given.startsWith('::ffff:') ? given.slice(7) : given;
  }
  return {
    incoming: INCOMING,
    clientProto,
    clientHost,
    clientAddress,
    appendTo(req, pairs) {
      const proto = clientProto(req);
      const host = clientHost(req);
      const givenPort = vouched(list(req.headers['x-forwarded-port']));
      const port = givenPort !== undefined && PORT.test(givenPort) ? givenPort : (host && /:(\d+)$/.exec(host)?.[1]) || (proto === 'https' ? '443' : '80');
      const chain = list(req.headers['x-forwarded-for']);
      const trusted = chain.slice(Math.max(0, chain.length - trustedHops));
      pairs.push('x-forwarded-for', [...trusted, req.socket.remoteAddress ?? ''].join(', '), 'x-forwarded-port', port, 'x-forwarded-proto', proto);
      if (host) pairs.push('x-forwarded-host', host);
      const forwarded = req.headers.forwarded;
      if (forwarded !== undefined) {
        const elements = splitOutsideQuotes(forwarded, ',');
        pairs.push('forwarded', elements.slice(Math.max(0, elements.length - trustedHops)).join(', '));
      }
    },
  };
}

function peerAddress(req: IncomingMessage): string {
  const address = req.socket.remoteAddress ?? '';
  // One client whether it came in over IPv4 or as an IPv4-mapped IPv6 address.
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

function list(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  const joined = Array.isArray(value) ? value.join(',') : value;
  return joined
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}

/** Forwarded's elements, each as its lower-cased parameters (quotes removed). */
function forwardedElements(req: IncomingMessage): Array<Record<string, string>> {
  const header = req.headers.forwarded;
  if (header === undefined) return [];
  return splitOutsideQuotes(header, ',').map((element) => {
    const params: Record<string, string> = {};
    for (const pair of splitOutsideQuotes(element, ';')) {
      const eq = pair.indexOf('=');
      if (eq > 0) params[pair.slice(0, eq).trim().toLowerCase()] = pair.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    return params;
  });
}

function splitOutsideQuotes(s: string, separator: string): string[] {
  const parts: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    else if (c === separator && !quoted) {
      parts.push(s.slice(start, i).trim());
      start = i + 1;
    }
  }
  parts.push(s.slice(start).trim());
  return parts.filter(Boolean);
}
