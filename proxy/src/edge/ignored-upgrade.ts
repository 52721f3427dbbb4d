import { IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { upgradeResponse } from './upgrade-response.ts';

/** Only WebSocket handshakes are relayed as upgrades. */
export function isWebSocketUpgrade(req: IncomingMessage): boolean {
  return /^\s*websocket\s*$/i.test(req.headers.upgrade ?? '');
}

/**
 * A request that asks to switch to another protocol (`Upgrade: h2c`, which `curl --http2`
 * and Java's HttpClient send by default over plain http) is served as the HTTP/1.1 request it
 * also is, as RFC 9110 §7.8 lets a server do. Node has already handed its socket over as for
 * an upgrade, and ended the request without its body. So the body (Content-Length only) is
 * read from the socket here into a request object of its own, and the response goes out on
 * the socket, which closes after it. Returns what is wrong for a body it cannot read.
 */
export function servedWithoutUpgrade(
  req: IncomingMessage,
  socket: Duplex,
  head: Buffer,
): { req: IncomingMessage; res: ServerResponse } | string {
  if (req.headers['transfer-encoding'] !== undefined) {
    return 'A chunked request body cannot come with Upgrade here; send the request without Upgrade.';
  }
  const plain = new IncomingMessage(socket as Socket);
  plain.method = req.method;
  plain.url = req.url;
  plain.headers = req.headers;
  plain.rawHeaders = req.rawHeaders;
  plain.httpVersion = req.httpVersion;
  plain.httpVersionMajor = req.httpVersionMajor;
  plain.httpVersionMinor = req.httpVersionMinor;

  let remaining = Number(req.headers['content-length'] ?? 0) || 0;
  const end = (): void => {
    plain.complete = true;
    plain.push(null);
  };
  const take = (chunk: Buffer): void => {
    const part = chunk.length > remaining ? chunk.subarray(0, remaining) : chunk;
    remaining -= part.length;
    if (part.length > 0 && !plain.push(part)) socket.pause(); // resumed by the request's own _read
    if (remaining === 0) {
      socket.off('data', take);
      end();
    }
  };
  if (remaining === 0) end();
  else {
    take(head);
    if (remaining > 0) socket.on('data', take);
  }
  return { req: plain, res: upgradeResponse(plain, socket) };
}
