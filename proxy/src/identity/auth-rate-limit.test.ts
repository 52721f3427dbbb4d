import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startRedis, type RedisHandle } from '../../../test-support/redis-server.ts';
import { sharedKeyvs, type SharedKeyvs } from '../../../test-support/shared-keyvs.ts';
import { createAuthRateLimit } from './auth-rate-limit.ts';
import { createKeyv } from '../storage/keyv-store.ts';
import { createClient, startPasskeyTestApp, type PasskeyTestApp } from './passkeys/passkey-test-app.ts';

const apps: PasskeyTestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((a) => a.stop()));
});

async function start(limiter: ReturnType<typeof createAuthRateLimit>) {
  const app = await startPasskeyTestApp({ ceremonyLimiter: limiter });
  apps.push(app);
  return createClient(app);
}

describe('auth rate limit', () => {
  it('answers the request over the limit with a 429 problem and Retry-After; other endpoints are not limited', async () => {
    const client = await start(createAuthRateLimit({ limit: 2, windowMs: 60_000 }));
    for (let i = 0; i < 2; i++) expect((await client.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    const over = await client.request('POST', '/passkeys/authenticate/options', {});
    expect(over.status).toBe(429);
    expect(over.headers.get('content-type')).toBe('application/problem+json');
    expect(Number(over.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(Number(over.headers.get('retry-after'))).toBeLessThanOrEqual(60);
    expect(over.body.detail).toMatch(/^Too many sign-in attempts from your network\. Wait \d+ seconds, then try again\.$/);
    expect((await client.request('POST', '/passkeys/register/options', undefined, { bearer: 'legacy-alice' })).status).toBe(429);
    expect((await client.request('GET', '/me', undefined, { bearer: 'legacy-alice' })).status).toBe(200);
  });

  it('shares its counts between instances through Keyv', async () => {
    const keyv = createKeyv({ namespace: 'auth-rate' });
    const one = await start(createAuthRateLimit({ limit: 3, keyv }));
    const two = await start(createAuthRateLimit({ limit: 3, keyv }));
    expect((await one.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    expect((await two.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    expect((await one.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    expect((await two.request('POST', '/passkeys/authenticate/options', {})).status).toBe(429);
  });
});

describe('auth rate limit on two instances sharing one Redis', () => {
  let redis: RedisHandle;
  const stores: SharedKeyvs[] = [];
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    redis.resume();
    await Promise.all(stores.splice(0).map((s) => s.close()));
  });
  afterAll(() => redis?.stop());

  // Every test counts the same client (127.0.0.1): each gets its own namespace.
  async function twoInstances(limit: number, namespace: string) {
    const shared = sharedKeyvs(redis.url, { namespace, throwOnErrors: false, timeoutMs: 200 });
    stores.push(shared);
    return [await start(createAuthRateLimit({ limit, keyv: shared.a })), await start(createAuthRateLimit({ limit, keyv: shared.b }))] as const;
  }

  it('lets exactly the limit through when requests arrive on both at the same moment', async () => {
    const [one, two] = await twoInstances(10, 'auth-rate-burst');
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) => (i % 2 ? one : two).request('POST', '/passkeys/authenticate/options', {})),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.filter((s) => s === 429)).toHaveLength(6);
  });

  it('lets requests through while Redis does not answer (a throttle must not lock everyone out), and counts again after', async () => {
    const [one, two] = await twoInstances(2, 'auth-rate-paused');
    expect((await one.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    expect((await two.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    redis.pause();
    expect((await one.request('POST', '/passkeys/authenticate/options', {})).status).toBe(200);
    redis.resume();
    expect((await two.request('POST', '/passkeys/authenticate/options', {})).status).toBe(429);
  });
});
