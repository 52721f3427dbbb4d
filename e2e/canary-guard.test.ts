import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startProxy, startStack, type ProxyInFront, type Stack } from '../test-support/stack.ts';
import type { RouteStatus, StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { formatLiveStatus } from '../scripts/lib-status/live-table.ts';
import { passkeySession, STATUS_TOKEN, until } from './status-support.ts';

/**
 * The canary guard, end to end: the dashboard at a 50% canary whose new side fails every
 * request (the legacy profile endpoint answers 503 to it). Two proxy instances share one real
 * Redis. After enough requests the route falls back to the legacy API for everyone, on both
 * instances; the status page, the metrics and `npm run status` say why; it stays back while
 * shadow shows it recovering, until staff clear it, or the flag changes.
 *
 * At rollout 50 the flag puts lars and emma on the new route, ingrid, ola, kari and nina on legacy.
 */
const FIXTURE = fileURLToPath(new URL('../proxy/src/routing/fixtures/guarded-dashboard', import.meta.url));
const CANARY = ['lars', 'emma'];
const USERS = ['lars', 'emma', 'ingrid', 'ola', 'kari', 'nina'];
const PROFILE_FAULT = [{ path: '^/api/users/[^/]+/profile$', status: 503 }];

let redis: RedisHandle;
let a: Stack;
let b: ProxyInFront;
let counter = 0;

beforeAll(async () => {
  redis = await startRedis();
  const env = { MIGRATED_ROUTES_DIR: FIXTURE, REDIS_URL: redis.url, STATUS_TOKEN };
  const flags = { 'route.dashboard': { rollout: 50 } };
  a = await startStack({ env, flags });
  b = await startProxy({ legacyUrl: a.legacy.url, env, flags });
});
afterAll(async () => {
  await Promise.allSettled([a?.stop(), b?.stop()]);
  await redis?.stop();
});

interface Served {
  status: number;
  correlationId: string;
  /** The legacy stand-in received /api/home for this request: the legacy API answered it. */
  byLegacy: boolean;
}

async function dashboard(proxy: ProxyInFront, user: string): Promise<Served> {
  const correlationId = `guard-${user}-${++counter}`;
  const res = await fetch(`${proxy.proxyUrl}/api/dashboard`, { headers: { authorization: `Bearer ${a.legacy.issueToken(user)}`, 'x-correlation-id': correlationId } });
  await res.arrayBuffer();
  const byLegacy = a.legacy.received.some((r) => r.url === '/api/home' && r.rawHeaders.includes(correlationId));
  return { status: res.status, correlationId, byLegacy };
}

/** Who served it, as support staff would look it up by its correlation id. */
async function lookupSide(proxy: ProxyInFront, correlationId: string): Promise<string> {
  let side = '';
  await until(async () => {
    const res = await fetch(`${proxy.proxyUrl}/_proxy/status/requests/${correlationId}`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    if (res.status !== 200) return false;
    side = ((await res.json()) as { side: string }).side;
    return true;
  });
  return side;
}

async function status(proxy: ProxyInFront): Promise<StatusSnapshot> {
  const res = await fetch(`${proxy.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusSnapshot;
}
const route = async (proxy: ProxyInFront): Promise<RouteStatus> => (await status(proxy)).routes.find((r) => r.id === 'dashboard')!;
const metrics = async (proxy: ProxyInFront) => (await fetch(`${proxy.proxyUrl}/_proxy/metrics`)).text();
const rollbackLines = () => a.logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('canary rolled back: dashboard'));

/** Every user sends a request to instance A until A has rolled the route back `times` times. */
async function failUntilRolledBack(times: number): Promise<void> {
  a.legacy.setFaults(PROFILE_FAULT);
  await until(async () => {
    for (const user of USERS) await dashboard(a, user);
    return rollbackLines().length >= times;
  }, 20_000);
  a.legacy.setFaults([]);
}

async function expectEveryoneOnLegacy(proxy: ProxyInFront): Promise<void> {
  for (const user of USERS) {
    const served = await dashboard(proxy, user);
    expect(served).toMatchObject({ status: 200, byLegacy: true });
    expect(['legacy', 'shadow']).toContain(await lookupSide(proxy, served.correlationId));
  }
}

describe('the canary guard', () => {
  it('first, the canary is served by the new route', async () => {
    for (const user of USERS) {
      const served = await dashboard(a, user);
      expect(served.status).toBe(200);
      expect(served.byLegacy).toBe(!CANARY.includes(user));
      expect(await lookupSide(a, served.correlationId)).toBe(CANARY.includes(user) ? 'migrated' : 'legacy');
    }
  });

  it('rolls back when the new side fails: everyone is served by legacy, on both instances', async () => {
    await failUntilRolledBack(1);
    expect(rollbackLines()).toHaveLength(1);
    expect(rollbackLines()[0]).toMatchObject({ level: 40, canary: { routeId: 'dashboard', reason: 'errors', rollout: 50, shared: true } });
    await expectEveryoneOnLegacy(a);

    // The other instance follows through the shared store (read once a second), without a decision of its own.
    await until(async () => (await dashboard(b, 'lars')).byLegacy, 5_000);
    await expectEveryoneOnLegacy(b);
    expect(b.logs.some((l) => typeof l.msg === 'string' && l.msg.startsWith('canary rolled back'))).toBe(false);
  });

  it('says why: status API, page, metrics and npm run status, on either instance', async () => {
    for (const proxy of [a, b]) {
      const r = await route(proxy);
      expect(r.state).toMatchObject({ word: 'rolled-back', label: 'rolled back from canary 50%', rollout: 50 });
      expect(r.guard.rollback).toMatchObject({ reason: 'errors', flag: { name: 'route.dashboard', enabled: true, rollout: 50 }, instance: a.proxy.traffic.instanceId });
      // The canary's first requests (before the fault) succeeded: most of its answers since were 503s.
      expect(r.guard.rollback!.detail).toMatch(/^5xx \d+% against legacy 0% over \d+ requests \(\d+ on the new route\)$/);
      expect(r.guard.events[0]!.text).toMatch(/^Rolled back automatically at \d\d:\d\d UTC: 5xx \d+% against legacy 0% over \d+ requests/);
      expect(r.summary).toMatch(/^Rolled back automatically at \d\d:\d\d UTC: 5xx \d+% .*The legacy API serves everyone until staff clear the rollback/);
    }
    const page = await (await fetch(`${a.proxyUrl}/_proxy/status`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } })).text();
    expect(page).toMatch(/<p class="verdict bad" id="rollback-dashboard">Rolled back automatically at \d\d:\d\d UTC: 5xx \d+% against legacy 0%/);
    expect(page).toContain('<form method="post" action="/_proxy/status/routes/dashboard/clear-rollback">');
    expect(formatLiveStatus(await status(b), b.proxyUrl)).toMatch(/dashboard: rolled back automatically at \d\d:\d\d UTC: 5xx \d+% against legacy 0%/);

    const [metricsA, metricsB] = await Promise.all([metrics(a), metrics(b)]);
    expect(metricsA).toContain('proxy_canary_rollbacks_total{route="dashboard",reason="errors"} 1');
    expect(metricsA).toContain('proxy_route_rolled_back{route="dashboard"} 1');
    expect(metricsB).toContain('proxy_route_rolled_back{route="dashboard"} 1');
    expect(metricsB).not.toContain('proxy_canary_rollbacks_total{route="dashboard"');
    // The new side's failures, by legacy endpoint: the profile answered 503, then the breaker opened.
    expect(metricsA).toMatch(/proxy_legacy_calls_total\{route="dashboard",endpoint="users.profile",outcome="5xx"\} \d+/);
    expect(metricsA).toMatch(/proxy_legacy_breaker_transitions_total\{route="dashboard",endpoint="users.profile",to="open"\} [1-9]/);
  });

  it('reports a recovery seen in shadow, and stays rolled back', async () => {
    // The fault is gone: the canary's users are shadowed, and the new route now matches.
    await until(async () => {
      for (const user of CANARY) await dashboard(a, user);
      return ((await route(a)).guard.rollback?.shadowSince.match ?? 0) >= 2;
    }, 15_000);
    const r = await route(b);
    expect(r.guard.rollback!.recovery).toMatch(/^shadow has matched \d+ of the last \d+ since the rollback/);
    expect(r.summary).toContain(r.guard.rollback!.recovery);
    await expectEveryoneOnLegacy(a);
  });

  it('staff clear it on the status page (same origin only), and the canary returns on both instances', async () => {
    const kari = await passkeySession(a, 'kari');
    const clear = (headers: Record<string, string>) =>
      fetch(`${a.proxyUrl}/_proxy/status/routes/dashboard/clear-rollback`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: '' });

    const forged = await clear({ cookie: kari.cookie, origin: 'http://evil.example' });
    expect(forged.status).toBe(403);
    expect(await forged.json()).toMatchObject({ type: 'urn:strangler-proxy:csrf', correlationId: forged.headers.get('x-correlation-id') });
    expect((await route(a)).guard.rollback).not.toBeNull();

    const pressed = await clear({ cookie: kari.cookie, origin: a.publicOrigin, 'sec-fetch-mode': 'navigate', accept: 'text/html' });
    expect(pressed.status).toBe(303);
    expect(pressed.headers.get('location')).toBe('/_proxy/status#route-dashboard');
    expect(a.logs.find((l) => typeof l.msg === 'string' && l.msg.startsWith('canary rollback of dashboard cleared by u-kari'))).toMatchObject({ level: 30, canary: { by: 'u-kari' } });

    const lars = await dashboard(a, 'lars');
    expect(lars).toMatchObject({ status: 200, byLegacy: false });
    expect(await lookupSide(a, lars.correlationId)).toBe('migrated');
    await until(async () => !(await dashboard(b, 'lars')).byLegacy, 5_000);
    const r = await route(b);
    expect(r.guard.rollback).toBeNull();
    expect(r.state.word).toBe('canary');
    expect(r.guard.events.map((e) => e.kind)).toEqual(['cleared', 'rolled-back']);
    expect(r.guard.events[0]!.text).toMatch(/^Cleared by u-kari at \d\d:\d\d UTC: the canary is served again/);
    expect(await metrics(b)).toContain('proxy_route_rolled_back{route="dashboard"} 0');

    const again = await fetch(`${a.proxyUrl}/_proxy/status/routes/dashboard/clear-rollback`, { method: 'POST', headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toBe('application/problem+json');
  });

  it('a new flag state clears a rollback too', async () => {
    await failUntilRolledBack(2);
    await expectEveryoneOnLegacy(a);
    a.setFlags({ 'route.dashboard': { rollout: 60 } });
    b.setFlags({ 'route.dashboard': { rollout: 60 } });
    await until(async () => (await route(a)).guard.rollback === null, 10_000);
    const r = await route(a);
    expect(r.guard.events[0]).toMatchObject({ kind: 'cleared', by: 'flag change' });
    expect(r.guard.events[0]!.text).toMatch(/by a flag change: flag route.dashboard changed from 50% to 60%\.$/);
    for (const proxy of [a, b]) await until(async () => !(await dashboard(proxy, 'lars')).byLegacy, 5_000);
    expect([...a.logs, ...b.logs].filter((l) => typeof l.msg === 'string' && l.msg.includes('cleared by a flag change'))).toHaveLength(1);
  });
});
