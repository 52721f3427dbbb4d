import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../../../test-support/stack.ts';
import { rawHandshake, rawRequest } from '../../../test-support/raw-http.ts';
import { until } from '../../../test-support/until.ts';

/**
 * Another spelling of a migrated route's path (case, escapes, dot segments) must not get past
 * the route's flag to the legacy API, which for many stacks serves it as the same endpoint.
 * Through the real proxy in front of the real stand-in.
 */

let counter = 0;

async function call(stack: Stack, method: string, path: string, body?: unknown) {
  const correlationId = `spell-${++counter}-${Date.now()}`;
  const text = body === undefined ? undefined : JSON.stringify(body);
  const res = await rawRequest({
    port: stack.proxyPort,
    method,
    path,
    headers: [
      'X-Correlation-Id', correlationId,
      'Authorization', `Bearer ${stack.legacy.issueToken('ola')}`,
      ...(text ? ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(text))] : []),
    ],
    body: text,
  });
  const log = async () => {
    await until(() => stack.logs.some((l) => l.correlationId === correlationId && l.res !== undefined));
    return stack.logs.find((l) => l.correlationId === correlationId && l.res !== undefined)!;
  };
  /** What the legacy API received for this request (by its correlation id). */
  const legacySaw = () => stack.legacy.received.filter((r) => r.rawHeaders.includes(correlationId)).map((r) => `${r.method} ${r.url}`);
  return { res, correlationId, log, legacySaw, json: () => JSON.parse(res.body.toString()) as Record<string, unknown> };
}

describe('ROUTE_CASE=insensitive (the default)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ flags: { 'route.enrollments': { rollout: 100 }, 'route.course-detail': { rollout: 0 }, 'route.dashboard': { rollout: 0 } } });
  });
  afterAll(() => stack?.stop());

  it.each(['/API/enrollments', '/api/Enrollments', '/api/%65nrollments', '/api/x/../enrollments', '/api/./enrollments'])(
    'POST %s is served by the migrated route its flag says, not by the legacy endpoint',
    async (path) => {
      // One course for every spelling: the route's idempotency key makes the repeats replays.
      const r = await call(stack, 'POST', path, { courseId: 'c-105' });
      expect(r.res.status).toBe(201);
      expect(await r.log()).toMatchObject({ route: 'enrollments', decision: 'migrated', servedBy: 'migrated' });
      // The handler's own write goes to the legacy API as /api/enrollments; the client's spelling never does.
      expect(r.legacySaw()).toContain('POST /api/enrollments');
      expect(r.legacySaw()).not.toContain(`POST ${path}`);
    },
  );

  it('on the legacy side of a flag, the legacy API gets the bytes the client sent (or the endpoint the route replaces)', async () => {
    // The stand-in (Express) compares paths case-insensitively, as the proxy assumes by default.
    const course = await call(stack, 'GET', '/API/Courses/c-101');
    expect(course.res.status).toBe(200);
    expect(await course.log()).toMatchObject({ route: 'course-detail', decision: 'legacy', servedBy: 'legacy' });
    expect(course.legacySaw()).toEqual(['GET /API/Courses/c-101']);

    const dashboard = await call(stack, 'GET', '/api/%44ashboard?lang=nb');
    expect(await dashboard.log()).toMatchObject({ route: 'dashboard', decision: 'legacy' });
    expect(dashboard.legacySaw()).toEqual(['GET /api/home?lang=nb']);
  });

  it('other spellings of the reserved prefix get 404 problem+json and never reach the legacy API', async () => {
    for (const path of ['/_PROXY/health/live', '/%5Fproxy/health/live', '/api/../_proxy/metrics']) {
      const r = await call(stack, 'GET', path);
      expect(r.res.status, path).toBe(404);
      expect(r.res.headers['content-type']).toBe('application/problem+json');
      expect(r.json()).toMatchObject({ status: 404, correlationId: r.correlationId });
      expect(r.legacySaw()).toEqual([]);
    }
    expect((await call(stack, 'GET', '/_proxy/health/live')).res.status).toBe(200);
    const ws = await rawHandshake({ port: stack.proxyPort, path: '/_Proxy/ws' });
    expect(ws.status).toBe(404);
  });

  it('an encoded slash that would reach the route read as a separator: 400 problem+json, sent nowhere', async () => {
    const r = await call(stack, 'POST', '/api%2Fenrollments', { courseId: 'c-105' });
    expect(r.res.status).toBe(400);
    expect(r.json()).toMatchObject({ status: 400, correlationId: r.correlationId });
    expect(r.json().detail).toMatch(/encoded slash/);
    expect(r.legacySaw()).toEqual([]);
  });
});

describe('ROUTE_CASE=sensitive', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { ROUTE_CASE: 'sensitive' }, flags: { 'route.enrollments': { rollout: 100 } } });
  });
  afterAll(() => stack?.stop());

  it('another case is another path: it goes to the legacy API as sent; escapes and dot segments still meet the route', async () => {
    const escaped = await call(stack, 'POST', '/api/x/../%65nrollments', { courseId: 'c-105' });
    expect(escaped.res.status).toBe(201);
    expect(await escaped.log()).toMatchObject({ route: 'enrollments', servedBy: 'migrated' });
    expect(escaped.legacySaw()).not.toContain('POST /api/x/../%65nrollments');

    const upper = await call(stack, 'POST', '/API/enrollments', { courseId: 'c-105' });
    expect(await upper.log()).toMatchObject({ route: 'catch-all', servedBy: 'legacy' });
    expect(upper.legacySaw()).toEqual(['POST /API/enrollments']);
  });
});
