import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/free-port.ts';
import { startRedis, type RedisHandle } from '../../../test-support/redis-server.ts';
import { until } from '../../../test-support/until.ts';
import type { LegacyClient } from './client.ts';
import { fastClient, hitCounter, LEGACY, rejectionOf } from './test-fixtures.ts';

const run = promisify(execFile);
const hits = hitCounter();
// msw handles HTTP only; node-redis's TCP socket reaches the real redis-server.
const server = setupServer(
  http.get(`${LEGACY}/api/enrollments`, ({ request }) => {
    const n = hits.record(request);
    return HttpResponse.json({ for: new URL(request.url).searchParams.get('userId'), n });
  }),
  http.post(`${LEGACY}/api/enrollments`, () => HttpResponse.json({ id: 'e-1' }, { status: 201 })),
  http.get(`${LEGACY}/api/courses`, ({ request }) => HttpResponse.json({ n: hits.record(request) })),
  http.put(`${LEGACY}/api/courses/c-1`, () => HttpResponse.json({ ok: true })),
);

let redis: RedisHandle;
const clients: LegacyClient[] = [];
async function redisClient(): Promise<LegacyClient> {
  const client = await fastClient({ redisUrl: redis.url });
  clients.push(client);
  return client;
}

beforeAll(async () => {
  server.listen({ onUnhandledRequest: 'error' });
  redis = await startRedis();
});
afterAll(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await redis?.stop();
  server.close();
});

const as = (userId: string) => ({ routeId: 'dashboard', correlationId: `c-${userId}`, userId });
const mine = (userId: string) => `/api/enrollments?userId=${userId}`;
const opts = { endpoint: 'enrollments.mine', cache: { scope: 'user' as const } };

async function redisKeys(): Promise<string[]> {
  const { stdout } = await run('redis-cli', ['-h', '127.0.0.1', '-p', String(redis.port), '--raw', 'KEYS', '*']);
  return stdout.split('\n').filter(Boolean).sort();
}

describe('the per-user cache in Redis', () => {
  it('is shared by proxy instances and keyed by user id, under one namespace', async () => {
    const instanceA = await redisClient();
    const instanceB = await redisClient();

    await expect(instanceA.bind(as('u-1')).get(mine('u-1'), opts)).resolves.toEqual({ for: 'u-1', n: 1 });
    // Another instance, same user: served from Redis.
    await expect(instanceB.bind(as('u-1')).get(mine('u-1'), opts)).resolves.toEqual({ for: 'u-1', n: 1 });
    expect(hits.of(`GET ${mine('u-1')}`)).toBe(1);

    await instanceB.bind(as('u-2')).get(mine('u-2'), opts);
    expect(await redisKeys()).toEqual([
      `strangler:legacy-cache::user:u-1:${mine('u-1')}`,
      `strangler:legacy-cache::user:u-2:${mine('u-2')}`,
    ]);

    // A write through one instance invalidates for all of them.
    await instanceB.bind(as('u-1')).send('POST', '/api/enrollments', { courseId: 'c-1' }, {
      endpoint: 'enrollments.create',
      invalidates: [{ scope: 'user', path: mine('u-1') }],
    });
    await expect(instanceA.bind(as('u-1')).get(mine('u-1'), opts)).resolves.toEqual({ for: 'u-1', n: 2 });
  });

  it('gives entries the TTL as a Redis expiry', async () => {
    const client = await redisClient();
    await client.bind(as('u-3')).get(mine('u-3'), { ...opts, cache: { scope: 'user', ttlMs: 30_000 } });
    const { stdout } = await run('redis-cli', [
      '-p',
      String(redis.port),
      'PTTL',
      `strangler:legacy-cache::user:u-3:${mine('u-3')}`,
    ]);
    const ttl = Number(stdout.trim());
    expect(ttl).toBeGreaterThan(20_000);
    expect(ttl).toBeLessThanOrEqual(30_000);
  });
});

describe('the shared cache of several instances on one Redis', () => {
  const courses = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
  const list = (client: LegacyClient) => client.bind(as('u-1')).get('/api/courses', courses) as Promise<{ n: number }>;
  const edit = (client: LegacyClient) =>
    client.bind(as('u-1')).send('PUT', '/api/courses/c-1', { title: 'x' }, { endpoint: 'courses.edit', invalidates: [{ scope: 'shared', path: '/api/courses' }] });

  it('keeps a copy per instance, and an invalidation on one drops every instance’s copy', async () => {
    const instanceA = await redisClient();
    const instanceB = await redisClient();
    const before = (await list(instanceA)).n;
    expect((await list(instanceA)).n).toBe(before); // served from A's own memory
    await list(instanceB);
    await edit(instanceB);
    // A hears of it through Redis and goes to the legacy API again.
    await until(async () => (await list(instanceA)).n !== before);
    const fresh = (await list(instanceA)).n;
    expect(fresh).toBeGreaterThan(before);
    expect((await list(instanceA)).n).toBe(fresh); // and caches the fresh answer
  });

  it('drops its copies when its subscription comes back after Redis went away (invalidations may have been missed)', async () => {
    const own = await startRedis();
    const client = await fastClient({ redisUrl: own.url });
    try {
      const before = (await list(client)).n;
      await own.kill();
      const restarted = await startRedis({ port: own.port });
      try {
        await until(async () => (await list(client)).n !== before, 10_000);
      } finally {
        await restarted.stop();
      }
    } finally {
      await client.close();
      await own.stop();
    }
  });
});

describe('the legacy client without its Redis', () => {
  it('refuses to start when the configured Redis cannot be reached', async () => {
    const nothingThere = `redis://127.0.0.1:${await freePort()}`;
    const err = await rejectionOf(() => fastClient({ redisUrl: nothingThere }));
    expect(String(err)).toMatch(/Redis for the legacy cache \(127\.0\.0\.1:\d+\) is unreachable/);
  });

  it('keeps answering from the legacy API when Redis goes away later', async () => {
    const own = await startRedis();
    const client = await fastClient({ redisUrl: own.url });
    try {
      await client.bind(as('u-9')).get(mine('u-9'), opts);
      await own.stop();
      await expect(client.bind(as('u-9')).get(mine('u-9'), opts)).resolves.toEqual({ for: 'u-9', n: 2 });
    } finally {
      await client.close();
      await own.stop();
    }
  });
});
