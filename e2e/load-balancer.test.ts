import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { startOpenLoopMix, type LoadResult, type OpRecord } from '../test-support/open-loop-mix.ts';
import { passkeySession } from '../test-support/passkey-session.ts';
import { startProxyCluster, type ProxyCluster } from '../test-support/proxy-cluster.ts';
import { until } from '../test-support/until.ts';
import { authClient, prepareTraffic, registerSigner, type Signer } from './load-balancer-traffic.ts';

/**
 * The production front door on one machine: HAProxy, health-checking readiness, in front of
 * three proxy processes on one real Redis, under a bounded open-loop load of mixed traffic.
 * The instances are restarted one by one (SIGTERM, start again) and Redis is killed and
 * restored while the load runs: every operation gets its proper answer, or, for what needs the
 * store while it is down, the defined 503; none fails, none is cut. Then, on the running
 * cluster: a passkey ceremony crosses instances, a session works on all of them, signing out
 * everywhere on one ends the sessions on all, and the status page sums every instance's traffic.
 */

const RATE = 100; // operations per second, for the whole load
const CHECK = { interMs: 300, fall: 2, rise: 1 };
// HAProxy takes an instance out within inter x fall plus a check's answer (about 0.6-1 s); the
// drain lasts well over twice that, so no request reaches an instance that stopped accepting.
const DRAIN_DELAY_MS = 2_500;
const STATUS_TOKEN = 'load-balancer-e2e-status-token-0123456789';
const WAIT = 20_000;

let cluster: ProxyCluster;
let traffic: Awaited<ReturnType<typeof prepareTraffic>>;
let probe: Signer;

beforeAll(async () => {
  cluster = await startProxyCluster({
    size: 3,
    flags: { 'route.course-detail': { rollout: 50 }, 'route.dashboard': {}, 'route.enrollments': {} },
    check: CHECK,
    env: {
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      SHUTDOWN_GRACE_MS: '5000',
      STATUS_TOKEN,
      STATUS_FLUSH_MS: '300',
      // The whole load comes from one loopback address: neither per-client limit may refuse it,
      // even when a busy machine stalls the legacy stand-in and requests pile up.
      AUTH_RATE_LIMIT_PER_MIN: '100000',
      LEGACY_MAX_SOCKETS: '1024',
      LEGACY_MAX_SOCKETS_PER_CLIENT: '1024',
    },
  });
  await Promise.all(cluster.names.map((_, i) => cluster.waitForState(i, 'UP')));
  traffic = await prepareTraffic(cluster);
  probe = await registerSigner(cluster, 'kari');
}, 90_000);

afterAll(async () => {
  await cluster?.stop();
});

const direct = (i: number) => cluster.instances[i]!.url;

async function readiness(i: number): Promise<{ status: number; body: Record<string, any> }> {
  const res = await fetch(`${direct(i)}/_proxy/health/ready`);
  return { status: res.status, body: (await res.json()) as Record<string, any> };
}

/** A whole sign-in against one instance, and the session it gives used there: the store serves everything a caller needs. */
async function servesSignIn(i: number): Promise<boolean> {
  const client = authClient(cluster, direct(i));
  const options = await client.request('POST', '/passkeys/authenticate/options', {});
  if (options.status !== 200) return false;
  const verify = await client.request('POST', '/passkeys/authenticate/verify', { response: probe.soft.assert(options.body, probe.passkey) });
  return verify.status === 200 && (await client.request('GET', '/me')).status === 200;
}

const failedOf = (records: readonly OpRecord[]) => records.filter((r) => r.outcome === 'failed');

describe('three instances behind HAProxy under load', () => {
  it('drop nothing through a rolling restart, and give only defined answers while Redis is down', async () => {
    const load = startOpenLoopMix({ rate: RATE, mix: traffic.mix, maxOps: RATE * 90, maxMs: 90_000, opTimeoutMs: 20_000, idPrefix: 'lb-load' });
    const events: string[] = [];
    const phases = { killAt: 0, recoveredAt: 0 };
    let result: LoadResult;
    const endedSince = (from: number, count: number) => until(() => load.records.filter((r) => r.dueMs >= from).length >= count, WAIT);
    try {
      await endedSince(0, RATE); // a second of answers before anything happens

      for (let i = 0; i < cluster.instances.length; i++) {
        events.push(`${load.now().toFixed(0)} ms: ${cluster.names[i]} SIGTERM`);
        const restarted = await cluster.restart(i);
        events.push(`${load.now().toFixed(0)} ms: ${cluster.names[i]} back UP`);
        expect(restarted.exit, restarted.lastWords).toEqual({ code: 0, signal: null }); // it drained and stopped by itself
        expect(restarted.outBeforeExit).toBe(true); // HAProxy had taken it out before it stopped accepting
        await until(() => cluster.instances[i]!.output().includes('"correlationId":"lb-load-'), WAIT); // back in the pool, serving
      }

      phases.killAt = load.now();
      events.push(`${phases.killAt.toFixed(0)} ms: Redis killed`);
      await cluster.killRedis();
      // Every instance knows, says so, and stays in the pool: pass-through needs no store.
      await until(async () => (await Promise.all([0, 1, 2].map(readiness))).every((r) => r.status === 200 && r.body.degraded?.[0] === 'storage'), WAIT);
      await until(() => load.records.filter((r) => r.outcome === 'store-unavailable').length >= 10, WAIT);
      expect(Object.values(await cluster.lb.states())).toEqual(['UP', 'UP', 'UP']);

      await cluster.restoreRedis();
      // Each store client reconnects on its own back-off (at most 2 s): recovered once every
      // instance serves a whole sign-in again, with no restart.
      await until(async () => (await Promise.all([0, 1, 2].map(servesSignIn))).every(Boolean), WAIT);
      phases.recoveredAt = load.now();
      events.push(`${phases.recoveredAt.toFixed(0)} ms: recovered`);
      await endedSince(phases.recoveredAt, RATE * 2);
    } finally {
      result = await load.stop();
    }

    const failed = failedOf(result.records);
    const logs = [...cluster.retired, ...cluster.instances].map((p) => p.output());
    const logLinesOf = (id: string) => logs.flatMap((out) => out.split('\n').filter((l) => l.includes(`"${id}"`)));
    const diagnosis = () =>
      [events.join(', '), "HAProxy's cut sessions:", ...cluster.lb.cutSessions(), 'what HAProxy and the instances logged of the failed ones:', ...failed.slice(0, 10).flatMap((f) => [...cluster.lb.logOf(f.id), ...logLinesOf(f.id)])].join('\n');
    expect(failed.slice(0, 10), `${failed.length} operations failed\n${diagnosis()}`).toEqual([]);
    // The store's 503 only for operations under way while it was down.
    const outside = result.records.filter((r) => r.outcome === 'store-unavailable' && (r.endMs < phases.killAt || r.dueMs > phases.recoveredAt));
    expect(outside).toEqual([]);
    const byKind = new Map<string, Record<string, number>>();
    for (const r of result.records) {
      const counts = byKind.get(r.kind) ?? {};
      counts[r.outcome] = (counts[r.outcome] ?? 0) + 1;
      byKind.set(r.kind, counts);
    }
    expect(new Set(byKind.keys())).toEqual(new Set(traffic.mix.map((op) => op.kind)));
    expect(byKind.get('migrated route in canary')).toMatchObject({ legacy: expect.any(Number), migrated: expect.any(Number) });
    // Sticky per user whichever instance answers, unless the canary guard rolled the route back
    // (the migrated route calls the legacy API twice: on a busy machine its p95 can lose).
    const rolledBack = logs.some((out) => out.includes('canary rolled back'));
    if (!rolledBack) for (const [user, sides] of traffic.canarySides) expect({ user, sides: sides.size }).toEqual({ user, sides: 1 });
    const backend = await cluster.lb.backend();
    const seconds = result.seconds;
    console.log(
      `load-balancer: ${result.records.length} operations in ${seconds.toFixed(1)} s (${(result.records.length / seconds).toFixed(0)}/s held, ${RATE}/s scheduled), ` +
        `${failed.length} failed, 3 instances restarted, Redis killed for ${((phases.recoveredAt - phases.killAt) / 1000).toFixed(1)} s; ` +
        `latency p50 ${result.p50.toFixed(0)} ms, p99 ${result.p99.toFixed(0)} ms (generator's own lag p99 ${result.sendLagP99.toFixed(0)} ms); ${rolledBack ? 'the canary guard rolled the migrated route back; ' : ''}HAProxy retries ${backend['wretr']}, redispatches ${backend['wredis']}, 5xx ${backend['hrsp_5xx']}; ` +
        `by kind ${JSON.stringify(Object.fromEntries(byKind))}`,
    );
  }, 150_000);
});

describe('one cluster, one state', () => {
  it('a passkey ceremony begun on one instance finishes on another, and the session works on all three', async () => {
    const jar = new Map<string, string>();
    const options = await authClient(cluster, direct(0), jar).request('POST', '/passkeys/authenticate/options', {});
    expect(options.status).toBe(200);
    const verify = await authClient(cluster, direct(1), jar).request('POST', '/passkeys/authenticate/verify', { response: probe.soft.assert(options.body, probe.passkey) });
    expect(verify.status).toBe(200); // the challenge instance 0 issued was in Redis for instance 1
    const cookie = [...jar].find(([k]) => k === 'sp_session');
    expect(cookie).toBeDefined();
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${direct(i)}/api/users/profile`, { headers: { cookie: `sp_session=${cookie![1]}` } });
      expect({ instance: i, status: res.status, id: ((await res.json()) as { id: string }).id }).toEqual({ instance: i, status: 200, id: 'u-kari' });
    }
  });

  it('signing out everywhere on one instance ends the user\'s sessions on all, and nobody else\'s', async () => {
    const signer = await registerSigner(cluster, 'lars', direct(2));
    const signInAt = async (i: number, who: Signer) => {
      const client = authClient(cluster, direct(i));
      const options = await client.request('POST', '/passkeys/authenticate/options', {});
      expect((await client.request('POST', '/passkeys/authenticate/verify', { response: who.soft.assert(options.body, who.passkey) })).status).toBe(200);
      return client;
    };
    // Lars on two devices, signed in through different instances; Kari elsewhere.
    const laptop = await signInAt(0, signer);
    const phone = await signInAt(2, signer);
    const kari = await signInAt(1, probe);
    // A copy of the cookies each time: a 401 would drop the cookie from the jar it came with.
    const me = async (device: ReturnType<typeof authClient>, i: number) => (await authClient(cluster, direct(i), new Map(device.jar)).request('GET', '/me')).status;
    for (const device of [laptop, phone, kari]) for (let i = 0; i < 3; i++) expect(await me(device, i)).toBe(200);

    const ended = await authClient(cluster, direct(1), new Map(laptop.jar)).request('POST', '/sign-out-everywhere');
    // These two, and the session the load used for Lars.
    const lars = traffic.sessions.find((s) => s.user === 'lars')!;
    expect(ended).toMatchObject({ status: 200, body: { endedSessions: 3 } });
    const profileAt = async (i: number, cookie: string) => (await fetch(`${direct(i)}/api/users/profile`, { headers: { cookie } })).status;
    for (let i = 0; i < 3; i++) {
      for (const device of [laptop, phone]) expect({ instance: i, status: await me(device, i) }).toEqual({ instance: i, status: 401 });
      expect({ instance: i, status: await profileAt(i, lars.cookie) }).toEqual({ instance: i, status: 401 });
      expect(await me(kari, i)).toBe(200);
      for (const other of traffic.sessions.filter((s) => s.user !== 'lars')) expect(await profileAt(i, other.cookie)).toBe(200);
    }
  });

  it('the status page shows the sum of every instance\'s traffic', async () => {
    const status = async (i: number) => {
      const res = await fetch(`${direct(i)}/_proxy/status/api`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
      return (await res.json()) as StatusSnapshot;
    };
    const count = (s: StatusSnapshot) => s.legacy.unmigrated.endpoints.find((e) => e.method === 'GET' && e.path === '/api/sessions/:id')?.count ?? 0;
    const before = await status(0);
    const token = cluster.legacy.issueToken('ingrid');
    // i + 1 requests to instance i, to an endpoint the load never used; the first with a known correlation id.
    for (let i = 0; i < 3; i++) {
      for (let k = 0; k <= i; k++) {
        const res = await fetch(`${direct(i)}/api/sessions/s-100${k + 1}`, { headers: { authorization: `Bearer ${token}`, 'x-correlation-id': `lb-sum-${i}-${k}` } });
        expect(res.status).toBe(200);
        await res.arrayBuffer();
      }
    }
    // Which instance served each, as another instance finds it (once flushed): three different ones.
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      await until(async () => {
        const found = await fetch(`${direct((i + 1) % 3)}/_proxy/status/requests/lb-sum-${i}-0`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
        if (found.status !== 200) return false;
        ids.push(((await found.json()) as { instance: string }).instance);
        return true;
      }, WAIT);
    }
    // Each instance flushes its counts every STATUS_FLUSH_MS; every page shows the sum.
    for (let i = 0; i < 3; i++) await until(async () => count(await status(i)) === count(before) + 6, WAIT);
    const after = await status(1);
    expect(after.counters).toMatchObject({ storage: 'redis', description: expect.stringMatching(/^in Redis, summed across \d+ instances/) });
    expect(new Set(ids).size).toBe(3);
    expect(after.counters.instances.map((x) => x.id)).toEqual(expect.arrayContaining(ids));
  });
});
