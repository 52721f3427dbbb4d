import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/free-port.ts';
import { until } from '../../../test-support/until.ts';
import { createLegacyProbe } from './legacy-probe.ts';

/** GET LEGACY_HEALTH_PATH on a real loopback server: any answer below 500 is reachable. */

const servers: http.Server[] = [];
afterEach(() => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    s.close();
  }
});

async function legacy(handler: http.RequestListener): Promise<{ url: string; hits: string[] }> {
  const hits: string[] = [];
  const server = http.createServer((req, res) => {
    hits.push(req.url!);
    handler(req, res);
  });
  servers.push(server);
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/base`, hits };
}

describe('the legacy probe', () => {
  it.each([200, 204, 302, 401, 404])('counts a %s as reachable, at the configured path under LEGACY_URL', async (status) => {
    const api = await legacy((_req, res) => res.writeHead(status, status === 302 ? { location: '/login' } : {}).end());
    const r = await createLegacyProbe({ legacyUrl: api.url, path: '/ping?deep=0' }).check();
    expect(r).toMatchObject({ reachable: true, judgedBy: 'probe', path: '/ping?deep=0', latencyMs: expect.any(Number) });
    expect(api.hits).toEqual(['/base/ping?deep=0']); // a redirect is an answer, not followed
  });

  it('counts a 5xx, a closed port and no answer in time as unreachable, saying which', async () => {
    const failing = await legacy((_req, res) => res.writeHead(503).end());
    expect(await createLegacyProbe({ legacyUrl: failing.url, path: '/health' }).check()).toMatchObject({ reachable: false, error: 'GET /health answered 503' });
    const closed = `http://127.0.0.1:${await freePort()}`;
    expect(await createLegacyProbe({ legacyUrl: closed, path: '/health' }).check()).toMatchObject({ reachable: false, latencyMs: null, error: 'GET /health failed (ECONNREFUSED)' });
    const silent = await legacy(() => {});
    expect(await createLegacyProbe({ legacyUrl: silent.url, path: '/health', timeoutMs: 200 }).check()).toMatchObject({
      reachable: false,
      error: 'no answer to GET /health within 200 ms',
    });
  });

  it('asks at most once per cache period, and latest() never waits for an answer', async () => {
    let answer: (() => void) | undefined;
    const api = await legacy((_req, res) => (answer = () => res.writeHead(200).end()));
    const probe = createLegacyProbe({ legacyUrl: api.url, path: '/health', cacheMs: 60_000 });
    expect(probe.latest()).toMatchObject({ reachable: null, note: 'not known yet: the first GET /health is under way' });
    const checked = probe.check(); // joins the probe under way
    await until(() => answer !== undefined);
    answer!();
    expect(await checked).toMatchObject({ reachable: true });
    expect(probe.latest()).toMatchObject({ reachable: true });
    await probe.check();
    expect(api.hits).toHaveLength(1);
  });
});
