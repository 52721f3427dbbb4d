import http from 'node:http';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxyProcess, type ProxyProcess } from '../test-support/proxy-process.ts';
import { until } from '../test-support/until.ts';

/**
 * A WebSocket client whose connection is reset (RST) while the proxy waits for the legacy API's
 * 101. Node hands an upgraded socket over without an 'error' listener of its own, so an
 * unhandled ECONNRESET there ended the whole process (found by e2e/load-balancer.test.ts: an
 * instance exited 1 during a rolling restart under load, taking every request on it along).
 */
let legacy: http.Server;
let proxy: ProxyProcess;
const handshakes: string[] = [];
const legacySockets: Duplex[] = [];

beforeAll(async () => {
  // Accepts the upgrade and answers it only when told to: the client is gone by then.
  legacy = http.createServer((_req, res) => res.writeHead(404).end());
  legacy.on('upgrade', (req, socket) => {
    handshakes.push(req.url!);
    legacySockets.push(socket);
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => legacy.listen(0, '127.0.0.1', resolve));
  proxy = await startProxyProcess({ LEGACY_URL: `http://127.0.0.1:${(legacy.address() as AddressInfo).port}` });
});
afterAll(async () => {
  await proxy?.stop();
  for (const socket of legacySockets) socket.destroy(); // upgraded: closeAllConnections() no longer sees them
  legacy?.closeAllConnections();
  await new Promise((resolve) => legacy?.close(resolve));
});

/** Sends a WebSocket handshake, and once it has reached the legacy API, resets the connection (RST, not FIN). */
function resetDuringHandshake(path: string, id: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(proxy.port, '127.0.0.1', () => {
      socket.write(
        `GET ${path} HTTP/1.1\r\nHost: localhost\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nX-Correlation-Id: ${id}\r\n` +
          'Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n',
      );
    });
    socket.once('error', reject);
    socket.once('close', () => resolve());
    void until(() => handshakes.includes(path), 10_000).then(() => socket.resetAndDestroy(), reject);
  });
}

const alive = async () => proxy.child.exitCode === null && (await fetch(`${proxy.url}/_proxy/health/live`)).status === 200;

describe('a WebSocket client that resets its connection mid-handshake', () => {
  it('costs that connection only: the proxy keeps running and serving', async () => {
    for (let i = 0; i < 3; i++) {
      await resetDuringHandshake(`/ws/reset-${i}`, `reset-${i}`);
      // The proxy notes the handshake as the client's leaving (499), or it has ended.
      await until(() => proxy.child.exitCode !== null || new RegExp(`"statusCode":499[^\n]*"correlationId":"reset-${i}"`).test(proxy.output()), 10_000);
      expect(await alive().catch(() => false), proxy.output().slice(-2_000)).toBe(true);
    }
    expect(proxy.output()).not.toMatch(/Unhandled 'error' event/);
  });
});
