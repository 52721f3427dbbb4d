import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startStack, type Stack } from '../test-support/stack.ts';
import type { StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { STATUS_TOKEN } from './status-support.ts';

/**
 * Two proxy instances on one real Redis, as behind a load balancer: each instance's page shows
 * the sum of both, a correlation id served by one is found from the other, and the counts
 * survive an instance's restart.
 */
let redis: RedisHandle;
let a: Stack;
let b: Stack;

const env = () => ({ REDIS_URL: redis.url, STATUS_TOKEN, STATUS_FLUSH_MS: '60000' });

beforeAll(async () => {
  redis = await startRedis();
  [a, b] = await Promise.all([startStack({ env: env() }), startStack({ env: env() })]);
});
afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await redis?.stop();
});

async function send(stack: Stack, path: string, headers: Record<string, string> = {}): Promise<void> {
  const res = await fetch(`${stack.proxyUrl}${path}`, { headers: { authorization: `Bearer ${stack.legacy.issueToken('ingrid')}`, ...headers } });
  expect(res.status).toBe(200);
  await res.arrayBuffer();
}

async function status(stack: Stack): Promise<StatusSnapshot> {
  const res = await fetch(`${stack.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusSnapshot;
}

const counts = (s: StatusSnapshot) => Object.fromEntries(s.legacy.unmigrated.endpoints.map((e) => [`${e.method} ${e.path}`, e.count]));

describe('counters shared through Redis', () => {
  it('each instance shows the sum of both', async () => {
    for (let i = 0; i < 3; i++) await send(a, '/api/sessions/s-1001');
    await send(a, '/api/home', { 'x-correlation-id': 'redis-corr-a' });
    for (let i = 0; i < 2; i++) await send(b, '/api/sessions/s-1002');
    await send(b, '/api/home');
    // Each flushes on its own schedule; here, now (the page flushes its own instance, not the other).
    await a.proxy.traffic.flush();
    await b.proxy.traffic.flush();

    for (const s of [await status(a), await status(b)]) {
      expect(counts(s)).toEqual({ 'GET /api/sessions/:id': 5, 'GET /api/home': 2 });
      expect(s.legacy.catchAll.hour).toMatchObject({ requests: 7, errors5xx: 0 });
      expect(s.legacy.authWindow.days[0]).toMatchObject({ legacyJwt: 7, total: 7 });
      expect(s.counters).toMatchObject({ storage: 'redis', description: expect.stringMatching(/^in Redis, summed across 2 instances/) });
      expect(s.counters.instances.map((i) => i.id).sort()).toEqual([a.proxy.traffic.instanceId, b.proxy.traffic.instanceId].sort());
    }
    const page = await (await fetch(`${b.proxyUrl}/_proxy/status`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } })).text();
    expect(page).toContain('in Redis, summed across 2 instances');
    expect(page).toContain('<code>GET /api/sessions/:id</code><span class="tag tag-rule">rules</span></th><td class="num">5</td>');
  });

  it('finds a request served by one instance from the other', async () => {
    const res = await fetch(`${b.proxyUrl}/_proxy/status/requests/redis-corr-a`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ correlationId: 'redis-corr-a', route: 'catch-all', side: 'legacy', status: 200, path: '/api/home', instance: a.proxy.traffic.instanceId });
  });

  it('keeps the counts when an instance restarts', async () => {
    const before = a.proxy.traffic.instanceId;
    await a.stop(); // closing flushes one last time
    a = await startStack({ env: env() });
    expect(a.proxy.traffic.instanceId).not.toBe(before);
    await send(a, '/api/sessions/s-1003');

    const s = await status(a);
    expect(counts(s)).toEqual({ 'GET /api/sessions/:id': 6, 'GET /api/home': 2 });
    // The stopped instance's counters still count, for as long as they are kept.
    expect(s.counters.instances.map((i) => i.id)).toContain(before);
    expect(s.counters.instances).toHaveLength(3);
    // a's page flushed a: the other instance sees the new request too.
    expect(counts(await status(b))['GET /api/sessions/:id']).toBe(6);
  });
});
