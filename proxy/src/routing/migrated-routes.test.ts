import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { fileURLToPath } from 'node:url';
import { startStack, type Stack } from '../../../test-support/stack.ts';
import { rawRequest, headerPairs } from '../../../test-support/raw-http.ts';
import { createUserTokens, type UserTokens } from '../../../test-support/user-tokens.ts';

/**
 * Migrated routes behind per-route flags, through the real proxy in front of the real
 * stand-in: who serves a request, shadow comparison, partial failures, the breaker, writes.
 */

let counter = 0;
const nextId = (tag: string) => `${tag}-${++counter}-${Date.now()}`;

async function call(stack: Stack, path: string, token: string | undefined, init: { method?: string; body?: unknown; headers?: string[] } = {}) {
  const correlationId = nextId('t');
  const body = init.body === undefined ? undefined : JSON.stringify(init.body);
  const res = await rawRequest({
    port: stack.proxyPort,
    method: init.method ?? 'GET',
    path,
    headers: [
      'X-Correlation-Id', correlationId,
      ...(token ? ['Authorization', `Bearer ${token}`] : []),
      ...(body ? ['Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(body))] : []),
      ...(init.headers ?? []),
    ],
    body,
  });
  const text = res.body.toString('utf8');
  return { res, correlationId, json: text ? (JSON.parse(text) as Record<string, any>) : undefined };
}

/** What the proxy's log line says about one request. */
async function logLine(stack: Stack, correlationId: string): Promise<Record<string, unknown>> {
  for (let i = 0; i < 100; i++) {
    const line = stack.logs.find((l) => l.correlationId === correlationId && l.res);
    if (line) return line;
    await new Promise((r) => setTimeout(r, 10));
  }
  throw new Error(`no log line for ${correlationId}`);
}

async function eventually<T>(fn: () => Promise<T>, ok: (v: T) => boolean, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (ok(v)) return v;
    if (Date.now() > deadline) return v;
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('who serves a request', () => {
  let stack: Stack;
  let users: UserTokens;
  beforeAll(async () => {
    users = await createUserTokens();
    stack = await startStack({ legacy: { trustedKeys: [users.publicJwk] } });
  });
  afterAll(() => stack?.stop());

  it('legacy by default: /api/dashboard is answered by the endpoint it replaces', async () => {
    const ingrid = stack.legacy.issueToken('ingrid');
    const { res, json, correlationId } = await call(stack, '/api/dashboard', ingrid);
    expect(res.status).toBe(200);
    expect(json!.generatedAt).toBeDefined(); // the legacy /api/home wart
    expect(stack.legacy.received.some((r) => r.url === '/api/home' && r.rawHeaders.includes(correlationId))).toBe(true);
    expect(await logLine(stack, correlationId)).toMatchObject({ route: 'dashboard', servedBy: 'legacy', decision: 'legacy' });
  });

  it('flipping the flags file moves traffic within 2 s, and back', async () => {
    const ingrid = stack.legacy.issueToken('ingrid');
    stack.setFlags({ 'route.dashboard': { rollout: 100 } });
    const started = Date.now();
    const migrated = await eventually(() => call(stack, '/api/dashboard', ingrid), (r) => r.json?.generatedAt === undefined, 2_500);
    expect(Date.now() - started).toBeLessThan(2_500);
    expect(migrated.res.status).toBe(200);
    expect(migrated.json).toMatchObject({ user: { displayName: 'Ingrid Solberg', role: 'Teacher' }, partialFailures: [] });
    expect(await logLine(stack, migrated.correlationId)).toMatchObject({ servedBy: 'migrated', decision: 'migrated' });

    stack.setFlags({ 'route.dashboard': { rollout: 0 } });
    const back = await eventually(() => call(stack, '/api/dashboard', ingrid), (r) => r.json?.generatedAt !== undefined, 2_500);
    expect(back.json!.generatedAt).toBeDefined();
  });

  it('the migrated dashboard answers what the legacy home screen answered (but its noise)', async () => {
    stack.setFlags({ 'route.dashboard': { rollout: 100 } });
    for (const username of ['ingrid', 'emma', 'nina', 'kari']) {
      const token = stack.legacy.issueToken(username);
      const migrated = await eventually(() => call(stack, '/api/dashboard', token), (r) => r.json?.generatedAt === undefined, 2_500);
      const home = await rawRequest({ port: stack.legacy.port, path: '/api/home', headers: ['Authorization', `Bearer ${token}`] });
      const { generatedAt: _noise, ...legacyHome } = JSON.parse(home.body.toString());
      expect(migrated.json).toEqual(legacyHome);
    }
    stack.setFlags({});
  });

  it('at 10% and 50% the share of distinct users on the migrated side follows the setting, each user sticky', async () => {
    for (const rollout of [10, 50]) {
      stack.setFlags({ 'route.course-detail': { rollout } });
      await new Promise((r) => setTimeout(r, 1_500)); // the file is re-read within 2 s
      const n = 400;
      const calls: Array<{ userId: string; correlationId: string }> = [];
      for (let i = 0; i < n; i++) {
        const userId = `u-load-${i}`;
        const token = await users.tokenFor(userId);
        for (let k = 0; k < 2; k++) {
          // The stand-in knows none of these users, so answers may be 401s: only the decision counts here.
          const { correlationId } = await call(stack, '/api/courses/c-101', token);
          calls.push({ userId, correlationId });
        }
      }
      // The decisions, from the request log (its lines are written in batches, shortly after each answer).
      const sides = new Map<string, Set<string>>();
      for (const { userId, correlationId } of calls) {
        const decision = String((await logLine(stack, correlationId)).decision);
        (sides.get(userId) ?? sides.set(userId, new Set()).get(userId)!).add(decision);
      }
      expect([...sides.values()].every((s) => s.size === 1)).toBe(true); // sticky
      const migratedShare = ([...sides.values()].filter((s) => s.has('migrated')).length / n) * 100;
      expect(Math.abs(migratedShare - rollout)).toBeLessThan(6);
    }
    stack.setFlags({});
  }, 120_000); // 1,600 requests and 800 signed tokens: a minute on a loaded machine, seconds alone

  it('a migrated route needs a verified caller: 401 problem+json, never a redirect', async () => {
    stack.setFlags({ 'route.dashboard': { rollout: 100 } });
    await new Promise((r) => setTimeout(r, 1_500));
    for (const token of [undefined, 'not-a-jwt', (await users.tokenFor('u-x')).slice(0, -4) + 'AAAA']) {
      const { res, json } = await call(stack, '/api/dashboard', token);
      // Unverified callers are not sticky users: they stay on legacy, which answers 401 itself.
      expect(res.status).toBe(401);
      expect(res.headers.location).toBeUndefined();
      void json;
    }
    stack.setFlags({});
  });

  it('the course view in shadow matches: the migrated answer is a superset of the legacy one', async () => {
    stack.setFlags({ 'route.course-detail': { rollout: 0, shadow: true } });
    await new Promise((r) => setTimeout(r, 1_500));
    const ola = stack.legacy.issueToken('ola');
    for (const course of ['c-101', 'c-102', 'c-103']) {
      const { res } = await call(stack, `/api/courses/${course}`, ola);
      expect(res.status).toBe(200);
    }
    const snap = await eventually(async () => stack.proxy.shadowStats.snapshot('course-detail'), (s) => s.match + s.mismatch >= 3, 3_000);
    expect(snap).toMatchObject({ match: 3, mismatch: 0, error: 0 });
    stack.setFlags({});
  });

  it('writes are never shadowed', async () => {
    stack.setFlags({ 'route.enrollments': { rollout: 0, shadow: true } });
    await new Promise((r) => setTimeout(r, 1_500));
    const before = stack.proxy.shadowStats.snapshot();
    const { correlationId } = await call(stack, '/api/enrollments', stack.legacy.issueToken('ola'), { method: 'POST', body: { courseId: 'c-102' } });
    expect(await logLine(stack, correlationId)).toMatchObject({ route: 'enrollments', decision: 'legacy', servedBy: 'legacy' });
    expect(stack.proxy.shadowStats.snapshot()).toEqual(before);
    stack.setFlags({});
  });
});

describe('flag service down', () => {
  it('with Unleash unreachable and nothing cached, every route is served by legacy', async () => {
    const stack = await startStack({ env: { UNLEASH_URL: 'http://127.0.0.1:9/api', UNLEASH_REFRESH_MS: '60000' } });
    try {
      const { res, json, correlationId } = await call(stack, '/api/dashboard', stack.legacy.issueToken('ingrid'));
      expect(res.status).toBe(200);
      expect(json!.generatedAt).toBeDefined();
      expect(await logLine(stack, correlationId)).toMatchObject({ decision: 'legacy', servedBy: 'legacy' });
    } finally {
      await stack.stop();
    }
  });
});

describe('shadow comparison', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { MIGRATED_ROUTES_DIR: fileURLToPath(new URL('./fixtures/buggy-dashboard', import.meta.url)) },
      flags: { 'route.dashboard': { rollout: 0, shadow: true } },
    });
  });
  afterAll(() => stack?.stop());

  it('legacy answers the client; a regression is reported by path, the noisy generatedAt is not', async () => {
    const ingrid = stack.legacy.issueToken('ingrid');
    const direct = await rawRequest({ port: stack.legacy.port, path: '/api/home', headers: ['Authorization', `Bearer ${ingrid}`] });
    for (let i = 0; i < 3; i++) {
      const { res, json, correlationId } = await call(stack, '/api/dashboard', ingrid);
      expect(res.status).toBe(200);
      const { generatedAt: _a, ...seen } = json!;
      const { generatedAt: _b, ...expected } = JSON.parse(direct.body.toString());
      expect(seen).toEqual(expected); // the client got the legacy answer, untouched
      expect(await logLine(stack, correlationId)).toMatchObject({ decision: 'shadow', servedBy: 'legacy' });
    }
    const snap = await eventually(async () => stack.proxy.shadowStats.snapshot('dashboard'), (s) => s.mismatch >= 3, 3_000);
    expect(snap.mismatch).toBe(3);
    expect(snap.noisyPaths).toContain('generatedAt');
    const paths = snap.recentMismatches[0]!.differences.map((d) => d.path);
    expect(paths).toEqual(['user.displayName']);
    // Redacted: the status page sees the kind of value, never the value.
    expect(JSON.stringify(snap)).not.toContain('Solberg');
  });

});

describe('partial failures, the 503 and the breaker (dashboard migrated)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { MIGRATED_ROUTES_DIR: fileURLToPath(new URL('./fixtures/buggy-dashboard', import.meta.url)) },
      flags: { 'route.dashboard': { rollout: 100 } },
    });
  });
  afterAll(() => stack?.stop());

  it('courses missing: empty courses and sessions, named in partialFailures, sessions never asked for', async () => {
    stack.legacy.setFaults([{ method: 'GET', path: '^/api/courses$', status: 500 }]);
    const { res, json, correlationId } = await call(stack, '/api/dashboard', stack.legacy.issueToken('ingrid'));
    stack.legacy.setFaults([]);
    expect(res.status).toBe(200);
    expect(json).toMatchObject({ courses: [], upcomingSessions: [], partialFailures: ['courses'] });
    expect(json!.user.role).toBe('Teacher');
    const seen = stack.legacy.received.filter((r) => r.rawHeaders.includes(correlationId)).map((r) => r.url.split('?')[0]);
    expect(seen).not.toContain('/api/sessions');
  });

  it('notifications or sessions missing: their empty value and their name', async () => {
    stack.legacy.setFaults([{ path: '^/api/notifications/unread$', status: 503 }]);
    const a = await call(stack, '/api/dashboard', stack.legacy.issueToken('ola'));
    // Another organisation than ola's, whose course sessions are cached by now.
    stack.legacy.setFaults([{ path: '^/api/sessions$', status: 500 }]);
    const b = await call(stack, '/api/dashboard', stack.legacy.issueToken('emma'));
    stack.legacy.setFaults([]);
    expect(a.json).toMatchObject({ notifications: { count: 0 }, partialFailures: ['notifications'] });
    expect(a.json!.courses.length).toBeGreaterThan(0);
    expect(b.json).toMatchObject({ upcomingSessions: [], partialFailures: ['sessions'] });
  });

  it('profile missing: 503 problem+json; the breaker then fails fast, and recovers', async () => {
    const lars = stack.legacy.issueToken('lars');
    stack.legacy.setFaults([{ path: '^/api/users/[^/]+/profile$', status: 503 }]);
    for (let i = 0; i < 2; i++) {
      const { res, json } = await call(stack, '/api/dashboard', lars);
      expect(res.status).toBe(503);
      expect(res.headers['content-type']).toBe('application/problem+json');
      expect(json).toMatchObject({ status: 503 });
      expect(typeof json!.correlationId).toBe('string');
    }
    // Open: the next request is refused without reaching the legacy profile endpoint.
    const open = await call(stack, '/api/dashboard', lars);
    expect(open.res.status).toBe(503);
    expect(stack.legacy.received.some((r) => r.rawHeaders.includes(open.correlationId) && /\/profile$/.test(r.url))).toBe(false);

    stack.legacy.setFaults([]);
    await new Promise((r) => setTimeout(r, 500)); // the fixture's half-open delay is 400 ms
    const recovered = await call(stack, '/api/dashboard', lars);
    expect(recovered.res.status).toBe(200);
    expect(recovered.json!.user.role).toBe('Teacher');
  });
});

describe('writes (enrollments migrated)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ flags: { 'route.enrollments': { rollout: 100 }, 'route.course-detail': { rollout: 100 } } });
  });
  afterAll(() => stack?.stop());

  const writes = async () => {
    const r = await rawRequest({ port: stack.legacy.port, path: '/__stub/stats' });
    return JSON.parse(r.body.toString()).enrollmentWrites as number;
  };

  it('a failed write is never retried', async () => {
    const ola = stack.legacy.issueToken('ola');
    const before = stack.legacy.received.filter((r) => r.method === 'POST' && r.url === '/api/enrollments').length;
    stack.legacy.setFaults([{ method: 'POST', path: '^/api/enrollments$', status: 503 }]);
    const { res, json } = await call(stack, '/api/enrollments', ola, { method: 'POST', body: { courseId: 'c-104' } });
    stack.legacy.setFaults([]);
    expect(res.status).toBeGreaterThanOrEqual(500);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(json!.correlationId).toBeDefined();
    const after = stack.legacy.received.filter((r) => r.method === 'POST' && r.url === '/api/enrollments').length;
    expect(after - before).toBe(1);
  });

  it('a double submit enrolls once (deterministic idempotency key), and the course view sees the new enrollment', async () => {
    const emma = stack.legacy.issueToken('emma');
    const first = await call(stack, '/api/courses/c-202', emma);
    expect(first.json!.myEnrollment).toBe('NONE');
    const before = await writes();
    const a = await call(stack, '/api/enrollments', emma, { method: 'POST', body: { courseId: 'c-202' } });
    const b = await call(stack, '/api/enrollments', emma, { method: 'POST', body: { courseId: 'c-202' } });
    expect(a.res.status).toBe(201);
    expect(b.res.status).toBe(201);
    expect(b.json).toEqual(a.json);
    expect(b.res.headers['idempotent-replayed']).toBe('true');
    expect(a.res.headers.location).toMatch(/^\/api\/enrollments\//); // not the legacy origin
    expect((await writes()) - before).toBe(1);
    // The cached enrollment list was invalidated by the write.
    const after = await call(stack, '/api/courses/c-202', emma);
    expect(after.json!.myEnrollment).toMatch(/ENROLLED|WAITLISTED/);
  });

  it('a legacy refusal arrives as problem+json with the legacy message and the correlation id', async () => {
    const ola = stack.legacy.issueToken('ola');
    const key = `ola-reused-${Date.now()}`;
    // The key was first used straight at the legacy API, for another course...
    const firstBody = JSON.stringify({ courseId: 'c-101' });
    const first = await rawRequest({
      port: stack.legacy.port,
      method: 'POST',
      path: '/api/enrollments',
      headers: ['Authorization', `Bearer ${ola}`, 'Content-Type', 'application/json', 'Content-Length', String(Buffer.byteLength(firstBody)), 'Idempotency-Key', key],
      body: firstBody,
    });
    expect(first.status).toBeLessThan(500);
    // ...so the legacy API refuses it here with its `{error, message}` 422.
    const posts = () => stack.legacy.received.filter((r) => r.method === 'POST' && r.url === '/api/enrollments').length;
    const before = posts();
    const { res, json, correlationId } = await call(stack, '/api/enrollments', ola, { method: 'POST', body: { courseId: 'c-103' }, headers: ['Idempotency-Key', key] });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['x-correlation-id']).toBe(correlationId);
    expect(json).toMatchObject({
      type: 'urn:strangler-proxy:legacy-rejected',
      title: 'Unprocessable Entity',
      status: 422,
      detail: 'This Idempotency-Key was already used with a different body.',
      correlationId,
      error: 'idempotency_key_reused', // the legacy code, for a frontend that reads it
    });
    expect(json).not.toHaveProperty('legacyStatus');
    // Kept for the key like any answer: the retry gets the same problem back, and the legacy API is not asked again.
    const retry = await call(stack, '/api/enrollments', ola, { method: 'POST', body: { courseId: 'c-103' }, headers: ['Idempotency-Key', key] });
    expect(retry.res.status).toBe(422);
    expect(retry.res.headers['content-type']).toBe('application/problem+json');
    expect(retry.res.headers['idempotent-replayed']).toBe('true');
    expect(retry.json).toMatchObject({ type: 'urn:strangler-proxy:legacy-rejected', detail: json!.detail, correlationId: retry.correlationId });
    expect(posts() - before).toBe(1);
  });

  it('a bad body gets 400 problem+json, and nothing reaches the legacy API', async () => {
    const { res, json } = await call(stack, '/api/enrollments', stack.legacy.issueToken('ola'), { method: 'POST', body: { course: 'c-101' } });
    expect(res.status).toBe(400);
    expect(json!.detail).toMatch(/courseId/);
    const malformed = await rawRequest({
      port: stack.proxyPort,
      method: 'POST',
      path: '/api/enrollments',
      headers: ['Authorization', `Bearer ${stack.legacy.issueToken('ola')}`, 'Content-Type', 'application/json'],
      body: '{"courseId":',
    });
    expect(malformed.status).toBe(400);
    expect(headerPairs(malformed.rawHeaders).find(([n]) => n === 'content-type')?.[1]).toBe('application/problem+json');
  });
});
