import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedRequest } from '../legacy-stub/src/received.ts';
import { startOtlpReceiver, SPAN_KIND, STATUS_CODE, type OtlpReceiver, type ReceivedSpan } from '../test-support/otlp-receiver.ts';
import { freePort } from '../test-support/free-port.ts';
import { startProxy, startStack, type ProxyInFront, type Stack } from '../test-support/stack.ts';
import { until } from '../test-support/until.ts';

/**
 * OpenTelemetry traces end to end: the legacy stand-in and the proxy on loopback, the proxy
 * exporting to a real OTLP/HTTP receiver. A dashboard request (a migrated route composing four
 * legacy endpoints) arrives inside a frontend's trace: the proxy's server span continues it,
 * each legacy call is a span under it, and the legacy API is told each call's span as its
 * parent. The notifications endpoint fails (503), so its call shows an error and a retry.
 */

const STATUS_TOKEN = 'tracing-e2e-status-token-0123456789abcdef';
const UNREAD_FAILS = [{ path: '^/api/notifications/unread$', status: 503 }];
const WAIT_MS = 10_000;

let receiver: OtlpReceiver;
let stack: Stack;
let untraced: ProxyInFront;

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  stack = await startStack({
    env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_SERVICE_NAME: 'bff-test', OTEL_BSP_SCHEDULE_DELAY: '20', STATUS_TOKEN },
    flags: { 'route.dashboard': { rollout: 100 } },
  });
  untraced = await startProxy({ legacyUrl: stack.legacy.url });
});
afterAll(async () => {
  await Promise.allSettled([stack?.stop(), untraced?.stop()]);
  await receiver?.close();
});

const hex = (bytes: number) => randomBytes(bytes).toString('hex');
/** A frontend's traceparent: a trace of its own, its page-load span as the parent. */
const frontendContext = () => ({ traceId: hex(16), parentId: hex(8) });

async function get(base: string, path: string, headers: Record<string, string>): Promise<Response> {
  const res = await fetch(`${base}${path}`, { headers });
  await res.arrayBuffer();
  return res;
}

const spansOf = (traceId: string) => receiver.spans.filter((s) => s.traceId === traceId);
const header = (r: ReceivedRequest, name: string) => {
  const i = r.rawHeaders.findIndex((h, k) => k % 2 === 0 && h.toLowerCase() === name);
  return i === -1 ? undefined : r.rawHeaders[i + 1];
};
const legacyGot = (traceId: string) => stack.legacy.received.filter((r) => header(r, 'traceparent')?.includes(traceId));

/** Waits until the receiver holds the trace's server span and `children` spans under it. */
async function serverSpanWith(traceId: string, children: (s: ReceivedSpan) => boolean, count: number): Promise<ReceivedSpan> {
  let server: ReceivedSpan | undefined;
  await until(() => {
    server = spansOf(traceId).find((s) => s.kind === SPAN_KIND.server);
    return server !== undefined && spansOf(traceId).filter((s) => s.parentSpanId === server!.spanId && children(s)).length >= count;
  }, WAIT_MS);
  return server!;
}

describe('a migrated route, traced', () => {
  let trace: ReturnType<typeof frontendContext>;
  let res: Response;
  let server: ReceivedSpan;
  let calls: ReceivedSpan[];

  beforeAll(async () => {
    stack.legacy.setFaults(UNREAD_FAILS);
    trace = frontendContext();
    res = await get(stack.proxyUrl, '/api/dashboard', {
      authorization: `Bearer ${stack.legacy.issueToken('lars')}`,
      traceparent: `00-${trace.traceId}-${trace.parentId}-01`,
      tracestate: 'frontend=page-load',
      'x-correlation-id': 'trace-dashboard-1',
    });
    // users.profile, notifications.unread twice (its retry), courses.list, sessions.upcoming.
    server = await serverSpanWith(trace.traceId, (s) => s.kind === SPAN_KIND.client, 5);
    calls = spansOf(trace.traceId).filter((s) => s.parentSpanId === server.spanId && s.kind === SPAN_KIND.client);
  });
  afterAll(() => stack.legacy.setFaults([]));

  it('answers with the trace id beside the correlation id', () => {
    expect(res.status).toBe(200);
    expect(res.headers.get('x-correlation-id')).toBe('trace-dashboard-1');
    expect(res.headers.get('traceresponse')).toBe(`00-${trace.traceId}-${server.spanId}-01`);
  });

  it('continues the frontend\'s trace in a server span that says what the request became', () => {
    expect(server).toMatchObject({
      service: 'bff-test',
      parentSpanId: trace.parentId,
      name: 'GET dashboard',
      status: { code: STATUS_CODE.unset },
      attributes: {
        'http.request.method': 'GET',
        'url.path': '/api/dashboard',
        'http.route': 'dashboard',
        'strangler.served_by': 'migrated',
        'strangler.decision': 'migrated',
        'http.response.status_code': 200,
        'strangler.correlation_id': 'trace-dashboard-1',
      },
    });
    // Who called, never their token.
    expect(server.events).toEqual([{ name: 'identity resolved', attributes: { 'strangler.identity.kind': 'legacy-jwt' } }]);
    expect(JSON.stringify(server)).not.toContain('eyJ');
  });

  it('has a span per legacy call under it: endpoint, attempt, breaker, cache, status', () => {
    const profile = calls.find((s) => s.attributes['strangler.legacy.endpoint'] === 'users.profile');
    expect(profile).toMatchObject({
      name: 'GET users.profile',
      status: { code: STATUS_CODE.unset },
      attributes: {
        'strangler.route': 'dashboard',
        'strangler.legacy.attempt': 1,
        'strangler.breaker.state': 'closed',
        'strangler.cache.hit': false,
        'http.request.method': 'GET',
        'http.response.status_code': 200,
        'url.full': `${stack.legacy.url}/api/users/u-lars/profile`,
      },
    });
    expect(calls.map((s) => s.attributes['strangler.legacy.endpoint']).sort()).toEqual(['courses.list', 'notifications.unread', 'notifications.unread', 'sessions.upcoming', 'users.profile']);
    for (const call of calls) expect(call.startMs).toBeGreaterThanOrEqual(server.startMs);
  });

  it('shows the failed call as an error, and its retry as attempt 2', () => {
    const unread = calls.filter((s) => s.attributes['strangler.legacy.endpoint'] === 'notifications.unread').sort((a, b) => a.startMs - b.startMs);
    expect(unread.map((s) => s.attributes['strangler.legacy.attempt'])).toEqual([1, 2]);
    for (const attempt of unread) {
      expect(attempt.status.code).toBe(STATUS_CODE.error);
      expect(attempt.attributes).toMatchObject({ 'http.response.status_code': 503, 'error.type': '503' });
    }
    expect(unread[1]!.attributes['http.request.resend_count']).toBe(1);
  });

  it('tells the legacy API each call\'s span as its parent, in the same trace', () => {
    const received = legacyGot(trace.traceId);
    expect(received).toHaveLength(calls.length);
    for (const call of calls) {
      const got = received.filter((r) => header(r, 'traceparent') === `00-${trace.traceId}-${call.spanId}-01`);
      expect(got, call.name).toHaveLength(1);
      expect(call.attributes['url.full']).toBe(`${stack.legacy.url}${got[0]!.url}`);
      expect(header(got[0]!, 'tracestate')).toBe('frontend=page-load');
    }
  });

  it('puts the trace and span ids on the request\'s log line', async () => {
    await until(() => stack.logs.some((l) => l.correlationId === 'trace-dashboard-1' && l.route === 'dashboard'), WAIT_MS);
    expect(stack.logs.find((l) => l.correlationId === 'trace-dashboard-1' && l.route === 'dashboard')).toMatchObject({ traceId: trace.traceId, spanId: server.spanId });
  });

  it('finds the request on the status page by its trace id as well as its correlation id', async () => {
    const lookup = async (id: string) => {
      const r = await fetch(`${stack.proxyUrl}/_proxy/status/requests/${id}`, { headers: { authorization: `Bearer ${STATUS_TOKEN}` } });
      return { status: r.status, body: (await r.json()) as Record<string, unknown> };
    };
    const byTrace = await lookup(trace.traceId);
    expect(byTrace.status).toBe(200);
    expect(byTrace.body).toMatchObject({ correlationId: 'trace-dashboard-1', traceId: trace.traceId, route: 'dashboard', side: 'migrated' });
    expect((await lookup('trace-dashboard-1')).body).toMatchObject({ traceId: trace.traceId });
  });

  it('marks an answer from the cache as a cache hit, with no call of its own', async () => {
    const again = frontendContext();
    await get(stack.proxyUrl, '/api/dashboard', { authorization: `Bearer ${stack.legacy.issueToken('lars')}`, traceparent: `00-${again.traceId}-${again.parentId}-01` });
    const second = await serverSpanWith(again.traceId, (s) => s.attributes['strangler.cache.hit'] === true, 3);
    const hits = spansOf(again.traceId).filter((s) => s.parentSpanId === second.spanId && s.attributes['strangler.cache.hit'] === true);
    expect(hits.map((s) => s.attributes['strangler.legacy.endpoint']).sort()).toEqual(['courses.list', 'sessions.upcoming', 'users.profile']);
    for (const hit of hits) expect(hit.kind).toBe(SPAN_KIND.internal);
    // Only the uncached notifications went to the legacy API.
    expect([...new Set(legacyGot(again.traceId).map((r) => r.url.split('?')[0]))]).toEqual(['/api/notifications/unread']);
  });
});

describe('the rest of the proxy, traced', () => {
  it('a pass-through request continues the trace: the legacy API\'s parent is the proxy\'s server span', async () => {
    const trace = frontendContext();
    const res = await get(stack.proxyUrl, '/api/courses?orgId=org-uninett', { traceparent: `00-${trace.traceId}-${trace.parentId}-01`, 'x-correlation-id': 'trace-pass-1' });
    expect(res.status).toBeLessThan(500);
    const spanId = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get('traceresponse') ?? '');
    expect(spanId?.[1]).toBe(trace.traceId);
    expect(legacyGot(trace.traceId).map((r) => header(r, 'traceparent'))).toEqual([`00-${trace.traceId}-${spanId![2]}-01`]);
    const server = await serverSpanWith(trace.traceId, () => true, 0);
    expect(server).toMatchObject({ spanId: spanId![2], parentSpanId: trace.parentId, name: 'GET catch-all', attributes: { 'http.route': 'catch-all', 'strangler.served_by': 'legacy', 'http.response.status_code': res.status } });
  });

  it('a request with an invalid traceparent starts a trace of its own', async () => {
    const res = await get(stack.proxyUrl, '/api/courses?orgId=org-uninett', { traceparent: 'not-a-traceparent', tracestate: 'orphan=1' });
    const [, traceId, spanId] = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/.exec(res.headers.get('traceresponse') ?? '') ?? [];
    expect(traceId).toBeDefined();
    const [got] = legacyGot(traceId!);
    expect(header(got!, 'traceparent')).toBe(`00-${traceId}-${spanId}-01`);
    // The tracestate of a traceparent the proxy refused belongs to no trace it is part of.
    expect(header(got!, 'tracestate')).toBeUndefined();
    expect((await serverSpanWith(traceId!, () => true, 0)).parentSpanId).toBe('');
  });

  it('a 5xx answer is an error on the server span', async () => {
    stack.legacy.setFaults([{ path: '^/api/users/[^/]+/profile$', status: 503 }]);
    const trace = frontendContext();
    try {
      const res = await get(stack.proxyUrl, '/api/dashboard', { authorization: `Bearer ${stack.legacy.issueToken('emma')}`, traceparent: `00-${trace.traceId}-${trace.parentId}-01` });
      expect(res.status).toBe(503);
      expect(res.headers.get('traceresponse')).toMatch(new RegExp(`^00-${trace.traceId}-`));
    } finally {
      stack.legacy.setFaults([]);
    }
    const server = await serverSpanWith(trace.traceId, () => true, 0);
    expect(server.status.code).toBe(STATUS_CODE.error);
    expect(server.attributes['http.response.status_code']).toBe(503);
  });

  it('a shadow comparison is a trace of its own, linked to its request, with its legacy calls under it', async () => {
    stack.setFlags({ 'route.dashboard': { rollout: 0, shadow: true } });
    try {
      // The flags file is re-read within 2 s: until then the route still answers itself.
      let trace = frontendContext();
      await until(async () => {
        trace = frontendContext();
        const res = await get(stack.proxyUrl, '/api/dashboard', { authorization: `Bearer ${stack.legacy.issueToken('ingrid')}`, traceparent: `00-${trace.traceId}-${trace.parentId}-01` });
        return res.status === 200 && legacyGot(trace.traceId).some((r) => r.url === '/api/home');
      }, WAIT_MS);
      await until(() => receiver.spans.some((s) => s.links.some((l) => l.traceId === trace.traceId)), WAIT_MS);
      const server = await serverSpanWith(trace.traceId, () => true, 0);
      expect(server.attributes).toMatchObject({ 'strangler.decision': 'shadow', 'strangler.served_by': 'legacy' });
      const shadow = receiver.spans.find((s) => s.links.some((l) => l.traceId === trace.traceId))!;
      expect(shadow).toMatchObject({ name: 'shadow dashboard', parentSpanId: '', links: [{ traceId: trace.traceId, spanId: server.spanId }] });
      expect(shadow.traceId).not.toBe(trace.traceId);
      expect(['match', 'mismatch']).toContain(shadow.attributes['strangler.shadow.result']);
      // The migrated handler ran on the side: its calls belong to the comparison, and say so to the legacy API.
      const sideCalls = spansOf(shadow.traceId).filter((s) => s.parentSpanId === shadow.spanId && s.kind === SPAN_KIND.client);
      expect(sideCalls.length).toBeGreaterThan(0);
      for (const call of sideCalls) expect(legacyGot(shadow.traceId).some((r) => header(r, 'traceparent') === `00-${shadow.traceId}-${call.spanId}-01`)).toBe(true);
      // The legacy answer the client got was forwarded under the request's own span.
      expect(legacyGot(trace.traceId).map((r) => [r.url, header(r, 'traceparent')])).toEqual([['/api/home', `00-${trace.traceId}-${server.spanId}-01`]]);
    } finally {
      stack.setFlags({ 'route.dashboard': { rollout: 100 } });
    }
  });
});

describe('a collector that cannot be reached', () => {
  it('says so in a warn line naming the collector, once, and keeps serving', async () => {
    const nowhere = `http://127.0.0.1:${await freePort()}`;
    const lonely = await startProxy({ legacyUrl: stack.legacy.url, env: { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: nowhere, OTEL_BSP_SCHEDULE_DELAY: '20' } });
    try {
      const lost = () => lonely.logs.filter((l) => l.msg === 'tracing: spans could not be exported; they are lost');
      // Each request ends a span; every batch of them fails, but the line comes once a minute.
      await until(async () => {
        const res = await get(lonely.proxyUrl, '/api/courses?orgId=org-uninett', {});
        expect(res.status).toBeLessThan(500); // the legacy API's answer, whatever the collector does
        return lost().length > 0;
      }, WAIT_MS);
      expect(lost()[0]).toMatchObject({ level: 40, collector: `${nowhere}/v1/traces` });
      await get(lonely.proxyUrl, '/api/courses?orgId=org-uninett', {});
      expect(lost()).toHaveLength(1);
    } finally {
      await lonely.stop();
    }
  });
});

describe('tracing off (the default)', () => {
  it('passes the client\'s trace context to the legacy API untouched, and adds nothing to the answer', async () => {
    const trace = frontendContext();
    const traceparent = `00-${trace.traceId}-${trace.parentId}-01`;
    const res = await get(untraced.proxyUrl, '/api/courses?orgId=org-uninett', { traceparent, tracestate: 'frontend=page-load', 'x-correlation-id': 'untraced-1' });
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('traceresponse')).toBeNull();
    const got = legacyGot(trace.traceId);
    expect(got.map((r) => [header(r, 'traceparent'), header(r, 'tracestate')])).toEqual([[traceparent, 'frontend=page-load']]);
    await until(() => untraced.logs.some((l) => l.correlationId === 'untraced-1'), WAIT_MS);
    expect(untraced.logs.find((l) => l.correlationId === 'untraced-1')).not.toHaveProperty('traceId');
    expect(receiver.spans.some((s) => s.traceId === trace.traceId)).toBe(false);
  });
});
