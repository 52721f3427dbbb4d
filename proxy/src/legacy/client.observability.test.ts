import { Writable } from 'node:stream';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test-support/until.ts';
import type { LegacyClient } from './client.ts';
import { legacyCallMetrics } from './resilience-metrics.ts';
import { fastClient, LEGACY } from './test-fixtures.ts';
import type { EndpointPolicyOverride } from './policies.ts';

/**
 * What the resilience policies do is visible: metrics per route and endpoint, the status
 * page's figures, and a warn line when the bulkhead turns calls away. msw stands in for the
 * legacy API: holding 40 answers open at once, and failing on demand.
 */
const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const bindArgs = { routeId: 'dashboard', correlationId: 'corr-1', credentials: { authorization: 'Bearer legacy-jwt' }, userId: 'u-1' };

async function observed(defaults: EndpointPolicyOverride = {}): Promise<{ client: LegacyClient; metric: (name: string, labels: Record<string, string>, series?: string) => Promise<number>; logs: Array<Record<string, unknown>> }> {
  const logs: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk, _enc, cb) {
      for (const line of String(chunk).split('\n').filter(Boolean)) logs.push(JSON.parse(line) as Record<string, unknown>);
      cb();
    },
  });
  const client = await fastClient({ log: pino({ level: 'info' }, sink), defaults });
  const registry = new Registry();
  client.onEvent(legacyCallMetrics(registry, () => client.health()));
  const metric = async (name: string, labels: Record<string, string>, series = name) => {
    const values = (await registry.getSingleMetric(name)!.get()).values.filter((v) => ((v as { metricName?: string }).metricName ?? name) === series);
    const found = values.find((v) => Object.entries(labels).every(([k, want]) => String(v.labels[k]) === want));
    return found?.value ?? 0;
  };
  return { client, metric, logs };
}

describe('the bulkhead, made visible', () => {
  it('40 concurrent calls into a bulkhead of 4: 36 rejections counted, in the metrics, the figures and one warn line', async () => {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let arrived = 0;
    server.use(
      http.get(`${LEGACY}/api/reports`, async () => {
        arrived++;
        await released;
        return HttpResponse.json({ ok: true });
      }),
    );
    const { client, metric, logs } = await observed({ bulkhead: { maxConcurrent: 4, maxQueue: 0 }, deadlineMs: 5_000, attemptTimeoutMs: 5_000 });
    const caller = client.bind(bindArgs);
    const calls = Array.from({ length: 40 }, () => caller.get('/api/reports', { endpoint: 'reports' }).then(() => 'ok', (err: { kind?: string }) => err.kind));

    await until(async () => (await metric('proxy_legacy_bulkhead_rejections_total', { route: 'dashboard', endpoint: 'reports' })) === 36);
    await until(() => arrived === 4);
    release();
    const outcomes = await Promise.all(calls);
    expect(outcomes.filter((o) => o === 'ok')).toHaveLength(4);
    expect(outcomes.filter((o) => o === 'bulkhead-full')).toHaveLength(36);

    expect(await metric('proxy_legacy_calls_total', { endpoint: 'reports', outcome: 'bulkhead-rejected' })).toBe(36);
    expect(await metric('proxy_legacy_calls_total', { endpoint: 'reports', outcome: 'ok' })).toBe(4);
    expect(await metric('proxy_legacy_call_duration_seconds', { endpoint: 'reports' }, 'proxy_legacy_call_duration_seconds_count')).toBe(40);

    const [figures] = client.endpoints();
    expect(figures).toMatchObject({ key: 'dashboard:reports', calls: 40, errors: 36, bulkheadRejections: 36, outcomes: { ok: 4, 'bulkhead-rejected': 36 } });
    expect(figures!.p95Ms).not.toBeNull();

    // The burst is told once, with its size: not 36 lines, not silence.
    await until(() => logs.some((l) => l.msg === 'legacy bulkhead full: 36 calls to dashboard:reports rejected'));
    const lines = logs.filter((l) => typeof l.msg === 'string' && l.msg.startsWith('legacy bulkhead full'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, endpoint: 'dashboard:reports', rejected: 36, maxConcurrent: 4, maxQueue: 0 });
  });
});

describe('retries, the breaker and the cache, counted', () => {
  it('counts each retry, and the call once with its final outcome and duration', async () => {
    let n = 0;
    server.use(http.get(`${LEGACY}/api/courses`, () => (++n < 3 ? HttpResponse.json({}, { status: 503 }) : HttpResponse.json({ n }))));
    const { client, metric, logs } = await observed();
    await expect(client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' })).resolves.toEqual({ n: 3 });
    expect(await metric('proxy_legacy_retries_total', { endpoint: 'courses.list' })).toBe(2);
    // Each retry is a warn line that says which request, route and endpoint it was.
    expect(logs.filter((l) => l.msg === 'legacy call failed; retrying')).toEqual([
      expect.objectContaining({ level: 40, correlationId: 'corr-1', routeId: 'dashboard', endpoint: 'courses.list', retry: 1, reason: 'status 503' }),
      expect.objectContaining({ level: 40, correlationId: 'corr-1', routeId: 'dashboard', endpoint: 'courses.list', retry: 2, reason: 'status 503' }),
    ]);
    expect(await metric('proxy_legacy_calls_total', { endpoint: 'courses.list', outcome: 'ok' })).toBe(1);
    expect(await metric('proxy_legacy_calls_total', { endpoint: 'courses.list', outcome: '5xx' })).toBe(0);
    expect(client.endpoints()[0]).toMatchObject({ calls: 1, retries: 2, errors: 0 });
  });

  it('counts each breaker transition and shows the state as a gauge', async () => {
    let healthy = false;
    server.use(http.get(`${LEGACY}/api/users/u-1`, () => (healthy ? HttpResponse.json({ id: 'u-1' }) : HttpResponse.json({}, { status: 500 }))));
    const { client, metric, logs } = await observed({ retries: 0 });
    const call = () => client.bind(bindArgs).get('/api/users/u-1', { endpoint: 'users.profile' });
    const labels = { route: 'dashboard', endpoint: 'users.profile' };

    for (let i = 0; i < 3; i++) await expect(call()).rejects.toMatchObject({ kind: 'status', status: 500 });
    await expect(call()).rejects.toMatchObject({ kind: 'circuit-open' });
    expect(await metric('proxy_legacy_breaker_transitions_total', { ...labels, to: 'open' })).toBe(1);
    expect(await metric('proxy_legacy_breaker_state', labels)).toBe(2);
    expect(await metric('proxy_legacy_calls_total', { ...labels, outcome: '5xx' })).toBe(3);
    expect(await metric('proxy_legacy_calls_total', { ...labels, outcome: 'breaker-open' })).toBe(1);
    expect(logs.some((l) => l.msg === 'legacy circuit opened')).toBe(true);

    await until(() => client.health()[0]?.state === 'half-open');
    expect(await metric('proxy_legacy_breaker_state', labels)).toBe(1);
    healthy = true;
    await expect(call()).resolves.toEqual({ id: 'u-1' });
    expect(await metric('proxy_legacy_breaker_transitions_total', { ...labels, to: 'half-open' })).toBe(1);
    expect(await metric('proxy_legacy_breaker_transitions_total', { ...labels, to: 'closed' })).toBe(1);
    expect(await metric('proxy_legacy_breaker_state', labels)).toBe(0);
    expect(client.endpoints()[0]).toMatchObject({ calls: 5, errors: 4, breaker: { state: 'closed', transitions: 3 } });
  });

  it('counts cache hits and misses; a hit is no call', async () => {
    server.use(http.get(`${LEGACY}/api/courses`, () => HttpResponse.json([{ id: 'c-1' }])));
    const { client, metric } = await observed();
    for (let i = 0; i < 3; i++) await client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list', cache: { scope: 'shared' } });
    expect(await metric('proxy_legacy_cache_lookups_total', { endpoint: 'courses.list', result: 'miss' })).toBe(1);
    expect(await metric('proxy_legacy_cache_lookups_total', { endpoint: 'courses.list', result: 'hit' })).toBe(2);
    expect(client.endpoints()[0]).toMatchObject({ calls: 1, cache: { hits: 2, misses: 1, hitRate: 2 / 3 } });
  });
});
