import { afterEach, describe, expect, it } from 'vitest';
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
