import http from 'node:http';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../test-support/free-port.ts';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startProxy, type ProxyInFront } from '../test-support/stack.ts';
import { until } from '../test-support/until.ts';

/**
 * Readiness says whether this instance can serve (configuration, flags, storage), never
 * whether the legacy API is up; the legacy API's reachability is reported beside it (the ready
 * body, the status page, a metric), probed at LEGACY_HEALTH_PATH or judged from traffic.
 */
const STATUS_TOKEN = 'readiness-e2e-status-token-0123456789abc';
const WAIT = 15_000;

let cleanup: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function proxyFor(legacyUrl: string, env: Record<string, string> = {}): Promise<ProxyInFront> {
  const proxy = await startProxy({ legacyUrl, env: { STATUS_TOKEN, ...env } });
  cleanup.push(() => proxy.stop());
  return proxy;
}

interface Answer {
  status: number;
  type: string | null;
  body: Record<string, any>;
}

async function get(proxy: ProxyInFront, path: string, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await fetch(`${proxy.proxyUrl}${path}`, { headers });
  const text = await res.text();
  return { status: res.status, type: res.headers.get('content-type'), body: text.startsWith('{') ? JSON.parse(text) : { text } };
}

const ready = (proxy: ProxyInFront) => get(proxy, '/_proxy/health/ready');
const metrics = async (proxy: ProxyInFront) => (await get(proxy, '/_proxy/metrics')).body.text as string;
const statusHealth = async (proxy: ProxyInFront) => (await get(proxy, '/_proxy/status/api', { authorization: `Bearer ${STATUS_TOKEN}` })).body.legacy.health;

/** A legacy API with no health endpoint: every path it does not know is a 404, as many real ones. */
async function legacyWithoutHealth(port = 0): Promise<{ url: string; port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.url!.startsWith('/api/')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const bound = (server.address() as { port: number }).port;
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  cleanup.push(close);
  return { url: `http://127.0.0.1:${bound}`, port: bound, close };
}

describe('readiness with the legacy API down', () => {
  it('answers 200, and says beside it that the legacy API is not reachable: ready body, status page, metric', async () => {
    const proxy = await proxyFor(`http://127.0.0.1:${await freePort()}`); // nothing listens there
    await until(async () => (await ready(proxy)).body.legacy?.reachable === false, WAIT);
    const answer = await ready(proxy);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({
      status: 'ready',
      checks: { configuration: 'ok', flags: 'ok', storage: 'not configured', accepting: 'ok' },
      legacy: { reachable: false, judgedBy: 'probe', path: '/health', latencyMs: null, checkedAt: expect.any(String), error: 'GET /health failed (ECONNREFUSED)' },
    });
    expect(answer.type).toMatch(/^application\/json/);
    // What a caller gets meanwhile: a clear 502 problem from the instance that is still in the pool.
    const forwarded = await get(proxy, '/api/courses');
    expect(forwarded).toMatchObject({ status: 502, type: 'application/problem+json', body: { type: 'urn:strangler-proxy:legacy-unreachable' } });

    expect(await statusHealth(proxy)).toMatchObject({ reachable: false, judgedBy: 'probe', summary: expect.stringMatching(/^Not reachable \(GET \/health failed \(ECONNREFUSED\)\)/) });
    expect(await metrics(proxy)).toMatch(/^proxy_legacy_reachable\{judged_by="probe"\} 0$/m);
    expect(await metrics(proxy)).not.toMatch(/^proxy_legacy_probe_seconds\{/m); // no answer, no latency
  });

  it('counts any answer below 500 at LEGACY_HEALTH_PATH as reachable, with its latency', async () => {
    const legacy = await legacyWithoutHealth();
    const proxy = await proxyFor(legacy.url); // the default /health: a 404 still proves it answers
    await until(async () => (await ready(proxy)).body.legacy?.reachable === true, WAIT);
    expect(await metrics(proxy)).toMatch(/^proxy_legacy_reachable\{judged_by="probe"\} 1$/m);
    expect(await metrics(proxy)).toMatch(/^proxy_legacy_probe_seconds\{path="\/health"\} \d/m);
  });
});

describe('LEGACY_HEALTH_PATH=none: judged from the catch-all\'s traffic', () => {
  it('is ready with a legacy API that has no /health, and the metric follows what requests meet', async () => {
    const legacy = await legacyWithoutHealth();
    const proxy = await proxyFor(legacy.url, { LEGACY_HEALTH_PATH: 'none' });
    const first = await ready(proxy);
    expect(first.status).toBe(200);
    expect(first.body.legacy).toMatchObject({ reachable: null, judgedBy: 'traffic', note: expect.stringMatching(/not known yet/) });
    expect(await metrics(proxy)).not.toMatch(/^proxy_legacy_reachable\{/m); // not known: no series, rather than a 0 that pages

    expect((await get(proxy, '/api/articles')).status).toBe(200);
    await until(async () => /^proxy_legacy_reachable\{judged_by="traffic"\} 1$/m.test(await metrics(proxy)));
    expect((await ready(proxy)).body.legacy).toMatchObject({ reachable: true, judgedBy: 'traffic' });

    await legacy.close();
    for (let i = 0; i < 2; i++) expect((await get(proxy, '/api/articles')).status).toBe(502);
    await until(async () => /^proxy_legacy_reachable\{judged_by="traffic"\} 0$/m.test(await metrics(proxy)));
    const down = await ready(proxy);
    expect(down.status).toBe(200);
    expect(down.body.legacy).toMatchObject({ reachable: false, error: expect.stringMatching(/last 2 catch-all requests got no answer/) });
    expect(await statusHealth(proxy)).toMatchObject({ reachable: false, judgedBy: 'traffic', summary: expect.stringMatching(/judged from catch-all traffic/) });

    await legacyWithoutHealth(legacy.port); // back, where the proxy expects it
    expect((await get(proxy, '/api/articles')).status).toBe(200);
    await until(async () => /^proxy_legacy_reachable\{judged_by="traffic"\} 1$/m.test(await metrics(proxy)));
    expect(await metrics(proxy)).not.toMatch(/^proxy_legacy_probe_seconds\{/m);
  });
});

describe('readiness waits for the flags', () => {
  it('answers 503 problem+json naming the flags until Unleash has answered once, then 200', async () => {
    let answering = false;
    const unleash = http.createServer((req, res) => {
      if (!answering) return void res.writeHead(503).end();
      if (!req.url!.includes('/client/features')) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ version: 2, features: [{ name: 'route.dashboard', enabled: false, strategies: [{ name: 'default', parameters: {}, constraints: [] }] }] }));
    });
    await new Promise<void>((resolve) => unleash.listen(0, '127.0.0.1', resolve));
    cleanup.push(async () => {
      unleash.closeAllConnections();
      await new Promise((resolve) => unleash.close(resolve));
    });
    const legacy = await legacyWithoutHealth();
    const proxy = await proxyFor(legacy.url, {
      UNLEASH_URL: `http://127.0.0.1:${(unleash.address() as { port: number }).port}/api`,
      UNLEASH_REFRESH_MS: '200',
    });

    const notYet = await ready(proxy);
    expect(notYet.status).toBe(503);
    expect(notYet.type).toBe('application/problem+json');
    expect(notYet.body).toMatchObject({
      status: 503,
      detail: 'This instance cannot serve yet (flags: not loaded yet: Unleash has not answered).',
      missing: ['flags'],
      checks: { configuration: 'ok', flags: 'not loaded yet: Unleash has not answered', storage: 'not configured', accepting: 'ok' },
      legacy: { judgedBy: 'probe' },
      correlationId: expect.any(String),
    });
    // Pass-through does not wait for the flags: the legacy API serves everything meanwhile.
    expect((await get(proxy, '/api/articles')).status).toBe(200);

    answering = true;
    await until(async () => (await ready(proxy)).status === 200, WAIT);
    expect((await ready(proxy)).body.checks).toEqual({ configuration: 'ok', flags: 'ok', storage: 'not configured', accepting: 'ok' });
  }, 30_000);
});

describe('readiness with REDIS_URL', () => {
  let redis: RedisHandle | undefined;
  afterAll(async () => {
    await redis?.stop();
  });

  it('answers 503 naming the store until Redis has answered once; later outages leave it ready and say degraded', async () => {
    redis = await startRedis();
    const legacy = await legacyWithoutHealth();
    const proxy = await proxyFor(legacy.url, { REDIS_URL: redis.url, STORE_TIMEOUT_MS: '300' });
    // Gone before readiness ever saw it answer (the process itself refuses to start without it):
    // this instance has not shown it can use its store, so it stays out of the pool.
    await redis.kill();
    const never = await ready(proxy);
    expect(never).toMatchObject({ status: 503, type: 'application/problem+json', body: { missing: ['storage'], checks: { storage: 'the store (Redis) did not answer PING within 300 ms' } } });
    expect(JSON.stringify(never.body)).not.toContain(redis.url); // REDIS_URL can hold a password

    redis = await startRedis({ port: redis.port });
    await until(async () => (await ready(proxy)).status === 200, WAIT);
    expect((await ready(proxy)).body).toEqual({ status: 'ready', checks: { configuration: 'ok', flags: 'ok', storage: 'ok', accepting: 'ok' }, legacy: expect.any(Object) });

    // Down for every instance at once: unready would empty the load balancer, and plain
    // pass-through needs no store. Ready, degraded, and why.
    await redis.kill();
    await until(async () => (await ready(proxy)).body.checks?.storage !== 'ok', WAIT);
    const down = await ready(proxy);
    expect(down).toMatchObject({ status: 200, body: { status: 'ready', degraded: ['storage'], checks: { storage: 'the store (Redis) did not answer PING within 300 ms', accepting: 'ok' } } });
    expect((await get(proxy, '/api/articles')).status).toBe(200);

    redis = await startRedis({ port: redis.port });
    await until(async () => (await ready(proxy)).body.checks?.storage === 'ok', WAIT);
    expect((await ready(proxy)).body.degraded).toBeUndefined();

    redis.pause(); // the socket stays open, nothing answers: the PING's deadline decides
    try {
      await until(async () => (await ready(proxy)).body.degraded?.[0] === 'storage', WAIT);
      expect((await ready(proxy)).status).toBe(200);
    } finally {
      redis.resume();
    }
    await until(async () => (await ready(proxy)).body.checks?.storage === 'ok', WAIT);
  }, 60_000);
});
