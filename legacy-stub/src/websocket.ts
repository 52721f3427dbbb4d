import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer } from 'ws';
import type { Recorder } from './received.ts';
import { requestPath } from './request-path.ts';

export const WS_ECHO_PATH = '/ws/echo';

/**
 * /ws/echo sends every message back as it came (text stays text, binary stays
 * binary). Upgrades never reach Express, so this listens on the server itself.
 */
export function attachWebSocketEcho(server: Server, recorder: Recorder): { close(): void } {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 16 * 1024 * 1024 });

  server.on('upgrade', (req, socket: Duplex, head: Buffer) => {
    const entry = recorder.record(req);
    socket.on('error', () => socket.destroy());
    if (requestPath(req.url) !== WS_ECHO_PATH) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      entry.finished = true;
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
    });
  });

  return {
    close() {
      for (const client of wss.clients) client.terminate();
      wss.close();
    },
  };
}
