import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../test-support/stack.ts';
import { rawRequest, type RawResponse } from '../../../test-support/raw-http.ts';
import { until } from '../../../test-support/until.ts';
import { startUnleashApiStub } from '../../../test-support/unleash-api-stub.ts';
import type { ReceivedRequest } from '../../../legacy-stub/src/server.ts';

/**
 * A migrated route nobody can be on the new side of (flag at 0%, no shadow) is decided on the
 * raw request and forwarded as a plain pass-through is. What a user or the legacy API can tell
 * apart must not change: the bytes, the decision in the log and on the status page, and how
 * quickly a flag change takes effect.
 */

let stack: Stack;
let counter = 0;

beforeAll(async () => {
  stack = await startStack({ flags: { 'route.dashboard': { rollout: 0, shadow: false } } });
});
afterAll(() => stack?.stop());

async function get(path: string, headers: string[] = []): Promise<{ res: RawResponse; correlationId: string; received: ReceivedRequest }> {
  const correlationId = `lfe-${++counter}-${Date.now()}`;
  const res = await rawRequest({ port: stack.proxyPort, path, headers: ['X-Correlation-Id', correlationId, 'Accept', 'application/json', ...headers] });
  const received = stack.legacy.received.find((r) => r.rawHeaders.includes(correlationId));
  if (!received) throw new Error(`the legacy API never saw ${correlationId}`);
  return { res, correlationId, received };
}

/** The same exchange with its correlation id, Date and the legacy home screen's timestamp (and so its ETag) taken out. */
function comparable(x: Awaited<ReturnType<typeof get>>) {
  const pairs = (raw: string[]) => {
    const out: string[][] = [];
    for (let i = 0; i < raw.length; i += 2) {
      const name = raw[i]!.toLowerCase();
      if (name === 'date' || name === 'etag') continue;
      out.push([raw[i]!, raw[i + 1]!.replaceAll(x.correlationId, '<id>')]);
    }
    return out;
  };
  const { generatedAt, ...body } = JSON.parse(x.res.body.toString('utf8')) as Record<string, unknown>;
  return {
    legacySaw: { method: x.received.method, url: x.received.url, headers: pairs(x.received.rawHeaders) },
    clientGot: { status: x.res.status, headers: pairs(x.res.rawHeaders), body, hasGeneratedAt: generatedAt !== undefined },
  };
}

const logLine = async (correlationId: string) => {
  await until(() => stack.logs.some((l) => l.correlationId === correlationId && l.res));
  return stack.logs.find((l) => l.correlationId === correlationId && l.res)!;
};

describe('a migrated route at 0% without shadow', () => {
  it('reaches the legacy endpoint it replaces exactly as a plain pass-through of that endpoint does, both ways', async () => {
    const auth = ['Authorization', `Bearer ${stack.legacy.issueToken('ingrid')}`];
    const viaRoute = await get('/api/dashboard?tab=all', auth);
    const direct = await get('/api/home?tab=all', auth);
    expect(viaRoute.received.url).toBe('/api/home?tab=all');
    expect(viaRoute.res.status).toBe(200);
    expect(comparable(viaRoute)).toEqual(comparable(direct));
    expect(comparable(viaRoute).clientGot.hasGeneratedAt).toBe(true); // the legacy screen answered
  });

  it('is logged, looked up and counted as the legacy side of its route, with its verified token', async () => {
    await stack.proxy.traffic.flush();
    const before = await stack.proxy.traffic.view();
    const legacyBefore = before.windows.hour.get('dashboard')?.legacy?.n ?? 0;
    const jwtBefore = before.days[0]?.auth.legacyJwt ?? 0;

    const { correlationId } = await get('/api/dashboard', ['Authorization', `Bearer ${stack.legacy.issueToken('emma')}`]);
    expect(await logLine(correlationId)).toMatchObject({ route: 'dashboard', servedBy: 'legacy', decision: 'legacy' });
    expect(await stack.proxy.traffic.lookup(correlationId)).toMatchObject({ route: 'dashboard', servedBy: 'legacy', side: 'legacy', status: 200 });

    await stack.proxy.traffic.flush();
    const after = await stack.proxy.traffic.view();
    expect(after.windows.hour.get('dashboard')?.legacy?.n).toBe(legacyBefore + 1);
    expect(after.windows.hour.get('dashboard')?.migrated ?? null).toBeNull();
    // The dual-auth window counts the token as verified, as it did when the route resolved its caller.
    expect(after.days[0]?.auth.legacyJwt).toBe(jwtBefore + 1);
    // Not an unmigrated legacy endpoint: the route's own traffic.
    expect(after.days[0]?.endpoints.has('GET /api/home') ?? false).toBe(before.days[0]?.endpoints.has('GET /api/home') ?? false);
  });

  it('follows the flags file: 100% serves the migrated route, shadow at 0% shadows, 0% is legacy again', async () => {
    const auth = ['Authorization', `Bearer ${stack.legacy.issueToken('ingrid')}`];
    // Asked of the log line: a migrated answer never reaches the legacy API to be found there.
    const decision = async () => {
      const correlationId = `lfe-flip-${++counter}-${Date.now()}`;
      const res = await rawRequest({ port: stack.proxyPort, path: '/api/dashboard', headers: ['X-Correlation-Id', correlationId, ...auth] });
      expect(res.status).toBe(200);
      return (await logLine(correlationId)).decision;
    };
    const reaches = (side: string) => until(async () => (await decision()) === side);

    stack.setFlags({ 'route.dashboard': { rollout: 100 } });
    await reaches('migrated');
    stack.setFlags({ 'route.dashboard': { rollout: 0, shadow: true } });
    await reaches('shadow');
    stack.setFlags({ 'route.dashboard': { rollout: 0 } });
    await reaches('legacy');
    expect(await decision()).toBe('legacy');
  });
});

describe('a migrated route at 0% in Unleash', () => {
  it("still shows in Unleash's usage metrics: each request counted 'no' for the flag and its shadow sibling, sent at shutdown", async () => {
    const rollout0 = { name: 'flexibleRollout', parameters: { rollout: '0', stickiness: 'default', groupId: 'route.dashboard' }, constraints: [] };
    const unleash = await startUnleashApiStub({
      version: 2,
      features: [
        { name: 'route.dashboard', enabled: true, strategies: [rollout0] },
        { name: 'route.dashboard.shadow', enabled: false, strategies: [] },
      ],
    });
    const withUnleash = await startStack({ env: { UNLEASH_URL: unleash.url, UNLEASH_REFRESH_MS: '200' } });
    let stopped = false;
    try {
      const auth = ['Authorization', `Bearer ${withUnleash.legacy.issueToken('ingrid')}`];
      for (let i = 0; i < 3; i++) {
        const correlationId = `lfe-unleash-${i}-${Date.now()}`;
        const res = await rawRequest({ port: withUnleash.proxyPort, path: '/api/dashboard', headers: ['X-Correlation-Id', correlationId, ...auth] });
        expect(res.status).toBe(200);
        // The fast path served it: the legacy endpoint the route replaces answered.
        expect(withUnleash.legacy.received.some((r) => r.url === '/api/home' && r.rawHeaders.includes(correlationId))).toBe(true);
      }
      // A plain pass-through asks no flag.
      expect((await rawRequest({ port: withUnleash.proxyPort, path: '/api/home', headers: auth })).status).toBe(200);
      stopped = true;
      await withUnleash.stop();
      expect(unleash.usage('route.dashboard')).toEqual({ yes: 0, no: 3 });
      expect(unleash.usage('route.dashboard.shadow')).toEqual({ yes: 0, no: 3 });
    } finally {
      if (!stopped) await withUnleash.stop();
      await unleash.stop();
    }
  });
});
