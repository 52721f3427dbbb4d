import { ServerResponse, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';

/**
 * A response on an upgrade request's socket: for a WebSocket handshake the proxy refuses or
 * cannot complete (the same problem+json answer as any request), and for a request served
 * without its h2c upgrade (ignored-upgrade.ts). Node gives upgrades no response object. The
 * connection ends with the answer. `release()` hands the socket back untouched when the
 * handshake goes ahead after all.
 */
export function upgradeResponse(req: IncomingMessage, socket: Duplex): ServerResponse & { release(): void } {
  const res = new ServerResponse(req) as ServerResponse & { release(): void };
  res.assignSocket(socket as Socket);
  res.shouldKeepAlive = false;
  res.once('finish', () => {
    res.detachSocket(socket as Socket);
    (socket as Socket).destroySoon();
    // As Node's server does for its own responses: 'close' is what the edge's log line,
    // metrics and counts listen for.
    process.nextTick(() => res.emit('close'));
  });
  res.release = () => res.detachSocket(socket as Socket);
  return res;
}
