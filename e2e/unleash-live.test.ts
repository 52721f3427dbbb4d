import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startUnleash, type UnleashHandle } from '../test-support/unleash-server.ts';
import { startStack, type Stack } from '../test-support/stack.ts';
import { rawRequest } from '../test-support/raw-http.ts';

/**
 * The flag integration against a REAL Unleash server (unleash-server on a throwaway
 * PostgreSQL): the migration team creates the route's flag, rolls it out to 100% and
 * requests move to the migrated route; they switch it off and requests return to legacy.
 */
const FLAG = 'route.dashboard';
let unleash: UnleashHandle;
let stack: Stack;

beforeAll(async () => {
  unleash = await startUnleash();
  stack = await startStack({
    env: { UNLEASH_URL: `${unleash.url}/api`, UNLEASH_TOKEN: unleash.clientToken, UNLEASH_REFRESH_MS: '300' },
  });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
  await unleash?.stop();
});

async function whoServes(): Promise<string> {
  const correlationId = `unleash-${Date.now()}-${Math.random()}`;
  const res = await rawRequest({
    port: stack.proxyPort,
    path: '/api/dashboard',
    headers: ['Authorization', `Bearer ${stack.legacy.issueToken('ingrid')}`, 'X-Correlation-Id', correlationId],
  });
  expect(res.status).toBe(200);
  // The answer itself tells: only the legacy home screen carries generatedAt.
  return 'generatedAt' in JSON.parse(res.body.toString()) ? 'legacy' : 'migrated';
}

describe('flags from a real Unleash server', () => {
  it('unknown flag: legacy', async () => {
    expect(await whoServes()).toBe('legacy');
  });

  it('created and rolled out to 100%: requests move to the migrated route', async () => {
    await unleash.createFlag(FLAG);
    await unleash.setRollout(FLAG, 100);
    await unleash.enable(FLAG);
    await expect.poll(whoServes, { timeout: 10_000, interval: 200 }).toBe('migrated');
    expect(stack.proxy.flags.state(FLAG)).toMatchObject({ exists: true, enabled: true, rollout: 100 });
  });

  it('switched off: requests return to legacy', async () => {
    await unleash.disable(FLAG);
    await expect.poll(whoServes, { timeout: 10_000, interval: 200 }).toBe('legacy');
  });
});
