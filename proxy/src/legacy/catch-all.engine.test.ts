import { describe, it, expect, afterAll } from 'vitest';
import http from 'node:http';
import pino from 'pino';
import { createCatchAll } from './catch-all.ts';
import { createForwardedPolicy } from '../edge/forwarded.ts';
import { freePort } from '../../../test-support/free-port.ts';

/**
 * The catch-all hands requests straight to http-proxy's engine. A request Node refuses to send
 * on (here a path a migrated route's rewrite could produce, with a space in it) throws there,
 * synchronously: the client must still get a problem+json, not a connection left hanging.
 */
const servers: http.Server[] = [];
afterAll(() => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))));

describe('a request the engine cannot send', () => {
  it('is answered 500 problem+json with the correlation id, and never reaches the legacy API', async () => {
    let legacyHits = 0;
    const legacy = http.createServer((_req, res) => {
      legacyHits++;
      res.end('legacy');
    });
    servers.push(legacy);
    const legacyPort = await freePort();
    await new Promise<void>((r) => legacy.listen(legacyPort, '127.0.0.1', r));

    const catchAll = createCatchAll({
      legacyUrl: `http://127.0.0.1:${legacyPort}`,
      timeoutMs: 5_000,
      maxSockets: 4,
      keepAliveMs: 1_000,
      maxHeaderBytes: 16_384,
      publicOrigin: () => 'http://proxy.test',
      forwarded: createForwardedPolicy(0),
      log: pino({ level: 'silent' }),
    });
    const proxy = http.createServer((req, res) => {
      req.headers['x-correlation-id'] = 'corr-engine-1';
      req.url = '/api/has a space';
      catchAll.forward(req, res);
    });
    servers.push(proxy);
    const proxyPort = await freePort();
    await new Promise<void>((r) => proxy.listen(proxyPort, '127.0.0.1', r));

    const res = await fetch(`http://127.0.0.1:${proxyPort}/api/anything`);
    expect(res.status).toBe(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    const body = (await res.json()) as Record<string, unknown>;
    expect(body.correlationId).toBe('corr-engine-1');
    expect(JSON.stringify(body)).not.toMatch(/at .*\.ts|stack/i);
    expect(legacyHits).toBe(0);
    catchAll.close();
  });
});
