import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { fastClient, hitCounter, LEGACY, rejectionOf, sleep } from './test-fixtures.ts';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const as = (userId: string | undefined, extra: object = {}) => ({
  routeId: 'dashboard',
  correlationId: `corr-${userId}`,
  credentials: { authorization: `Bearer token-of-${userId}` },
  userId,
  ...extra,
});

/** The legacy API answers per caller: who asked (from the credentials) and how many times it was asked. */
function perCallerAnswers(path: string, hits = hitCounter(), opts: { delayMs?: number } = {}) {
  return {
    hits,
    handler: http.get(`${LEGACY}${path}`, async ({ request }) => {
      const n = hits.record(request);
      if (opts.delayMs) await sleep(opts.delayMs, request.signal);
      const who = request.headers.get('authorization')?.replace('Bearer token-of-', '');
      return HttpResponse.json({ who, n });
    }),
  };
}

describe('the legacy client: shared cache', () => {
  it('answers the second call from the cache, for any caller', async () => {
    const { hits, handler } = perCallerAnswers('/api/courses');
    server.use(handler);
    const client = await fastClient();
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
    const first = await client.bind(as('u-1')).get('/api/courses', opts);
    const second = await client.bind(as('u-2')).get('/api/courses', opts);
    expect(second).toEqual(first);
    expect(hits.of('GET /api/courses')).toBe(1);
  });

  it('fetches again once the TTL has passed', async () => {
    const { handler } = perCallerAnswers('/api/courses');
    server.use(handler);
    const client = await fastClient();
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const, ttlMs: 50 } };
    await client.bind(as('u-1')).get('/api/courses', opts);
    await sleep(80);
    await expect(client.bind(as('u-1')).get('/api/courses', opts)).resolves.toEqual({ who: 'u-1', n: 2 });
  });

  it('takes the TTL from the route\'s policy when the call names none', async () => {
    const { hits, handler } = perCallerAnswers('/api/courses');
    server.use(handler);
    const client = await fastClient();
    const req = as('u-1', { policies: { 'courses.list': { cacheTtlMs: 50 } } });
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
    await client.bind(req).get('/api/courses', opts);
    await client.bind(req).get('/api/courses', opts);
    expect(hits.of('GET /api/courses')).toBe(1);
    await sleep(80);
    await client.bind(req).get('/api/courses', opts);
    expect(hits.of('GET /api/courses')).toBe(2);
  });

  it('keeps at most the configured number of shared entries', async () => {
    const hits = hitCounter();
    server.use(
      http.get(`${LEGACY}/api/courses/:id`, ({ request, params }) => {
        hits.record(request);
        return HttpResponse.json({ id: params.id });
      }),
    );
    const client = await fastClient({ sharedCacheMaxEntries: 2 });
    const get = (id: string) =>
      client.bind(as('u-1')).get(`/api/courses/${id}`, { endpoint: 'courses.one', cache: { scope: 'shared' } });
    await get('a');
    await get('b');
    await get('c'); // evicts a, the least recently used
    await get('c');
    await get('a');
    expect(hits.of('GET /api/courses/a')).toBe(2);
    expect(hits.of('GET /api/courses/c')).toBe(1);
  });
});

describe('the legacy client: per-user cache', () => {
  it('never serves one user\'s cached answer to another', async () => {
    const { hits, handler } = perCallerAnswers('/api/me/enrollments');
    server.use(handler);
    const client = await fastClient();
    const opts = { endpoint: 'enrollments.mine', cache: { scope: 'user' as const } };
    await expect(client.bind(as('u-a')).get('/api/me/enrollments', opts)).resolves.toEqual({ who: 'u-a', n: 1 });
    await expect(client.bind(as('u-b')).get('/api/me/enrollments', opts)).resolves.toEqual({ who: 'u-b', n: 2 });
    await expect(client.bind(as('u-a')).get('/api/me/enrollments', opts)).resolves.toEqual({ who: 'u-a', n: 1 });
    await expect(client.bind(as('u-b')).get('/api/me/enrollments', opts)).resolves.toEqual({ who: 'u-b', n: 2 });
    expect(hits.of('GET /api/me/enrollments')).toBe(2);
  });

  it('refuses a user-scoped cache call without a user id, before calling upstream', async () => {
    const { hits, handler } = perCallerAnswers('/api/me/enrollments');
    server.use(handler);
    const client = await fastClient();
    const err = await rejectionOf(() =>
      client.bind(as(undefined)).get('/api/me/enrollments', { endpoint: 'enrollments.mine', cache: { scope: 'user' } }),
    );
    expect(String(err)).toMatch(/needs the caller's user id/);
    expect(hits.of('GET /api/me/enrollments')).toBe(0);
  });
});

describe('the legacy client: one fetch per key', () => {
  it('lets 10 concurrent callers share one upstream call, each with its own copy', async () => {
    const { hits, handler } = perCallerAnswers('/api/courses', hitCounter(), { delayMs: 50 });
    server.use(handler);
    const client = await fastClient({ defaults: { bulkhead: { maxConcurrent: 1, maxQueue: 0 } } });
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
    const answers = await Promise.all(
      Array.from({ length: 10 }, (_, i) => client.bind(as(`u-${i}`)).get<{ n: number }>('/api/courses', opts)),
    );
    expect(hits.of('GET /api/courses')).toBe(1);
    expect(new Set(answers.map((a) => a.n))).toEqual(new Set([1]));
    answers[0]!.n = 99;
    expect(answers[1]!.n).toBe(1);
  });

  it('keeps the shared fetch going when one of its callers goes away', async () => {
    const { hits, handler } = perCallerAnswers('/api/courses', hitCounter(), { delayMs: 80 });
    server.use(handler);
    const client = await fastClient();
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
    const leaving = new AbortController();
    const first = client.bind(as('u-1', { signal: leaving.signal })).get('/api/courses', opts);
    const second = client.bind(as('u-2')).get('/api/courses', opts);
    await sleep(20);
    leaving.abort();
    await expect(first).rejects.toMatchObject({ kind: 'aborted', endpoint: 'courses.list' });
    await expect(second).resolves.toEqual({ who: 'u-1', n: 1 });
    expect(hits.of('GET /api/courses')).toBe(1);
  });
});

describe('the legacy client: what is never cached', () => {
  it.each([
    ['a 5xx', 500],
    ['a 404', 404],
  ])('does not cache %s', async (_label, status) => {
    const hits = hitCounter();
    server.use(
      http.get(`${LEGACY}/api/courses`, ({ request }) =>
        hits.record(request) === 1 ? HttpResponse.json({}, { status }) : HttpResponse.json({ ok: true }),
      ),
    );
    const client = await fastClient({ defaults: { retries: 0 } });
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
    await expect(client.bind(as('u-1')).get('/api/courses', opts)).rejects.toMatchObject({ kind: 'status', status });
    await expect(client.bind(as('u-1')).get('/api/courses', opts)).resolves.toEqual({ ok: true });
    expect(hits.of('GET /api/courses')).toBe(2);
  });

  it('does not cache a malformed answer', async () => {
    const hits = hitCounter();
    server.use(
      http.get(`${LEGACY}/api/courses`, ({ request }) =>
        hits.record(request) === 1 ? new HttpResponse('{"half": ', { status: 200 }) : HttpResponse.json({ ok: true }),
      ),
    );
    const client = await fastClient();
    const opts = { endpoint: 'courses.list', cache: { scope: 'shared' as const } };
    await expect(client.bind(as('u-1')).get('/api/courses', opts)).rejects.toMatchObject({ kind: 'status' });
    await expect(client.bind(as('u-1')).get('/api/courses', opts)).resolves.toEqual({ ok: true });
  });
});

describe('the legacy client: invalidation by writes', () => {
  it('drops the entries a write lists, for this user and for everyone', async () => {
    const mine = perCallerAnswers('/api/enrollments');
    const course = perCallerAnswers('/api/courses/c-101', mine.hits);
    server.use(
      mine.handler,
      course.handler,
      http.post(`${LEGACY}/api/enrollments`, () => HttpResponse.json({ id: 'e-1' }, { status: 201 })),
    );
    const client = await fastClient();
    const caller = client.bind(as('u-1'));
    const enrollments = { endpoint: 'enrollments.mine', cache: { scope: 'user' as const } };
    const courseOpts = { endpoint: 'courses.one', cache: { scope: 'shared' as const } };
    await caller.get('/api/enrollments?userId=u-1', enrollments);
    await caller.get('/api/courses/c-101', courseOpts);
    await caller.get('/api/enrollments?userId=u-1', enrollments);
    await caller.get('/api/courses/c-101', courseOpts);
    expect(mine.hits.of('GET /api/enrollments?userId=u-1')).toBe(1);
    expect(mine.hits.of('GET /api/courses/c-101')).toBe(1);

    const res = await caller.send(
      'POST',
      '/api/enrollments',
      { courseId: 'c-101' },
      {
        endpoint: 'enrollments.create',
        invalidates: [
          { scope: 'user', path: '/api/enrollments?userId=u-1' },
          { scope: 'shared', path: '/api/courses/c-101' },
        ],
      },
    );
    expect(res.status).toBe(201);

    await expect(caller.get('/api/enrollments?userId=u-1', enrollments)).resolves.toEqual({ who: 'u-1', n: 2 });
    await expect(caller.get('/api/courses/c-101', courseOpts)).resolves.toEqual({ who: 'u-1', n: 2 });
  });

  it('does not let a read that started before the write store its stale answer', async () => {
    const { hits, handler } = perCallerAnswers('/api/enrollments', hitCounter(), { delayMs: 80 });
    server.use(
      handler,
      http.delete(`${LEGACY}/api/enrollments/e-1`, () => new HttpResponse(null, { status: 204 })),
    );
    const client = await fastClient();
    const caller = client.bind(as('u-1'));
    const opts = { endpoint: 'enrollments.mine', cache: { scope: 'user' as const } };
    const before = caller.get('/api/enrollments', opts);
    await sleep(20);
    await caller.send('DELETE', '/api/enrollments/e-1', undefined, {
      endpoint: 'enrollments.delete',
      invalidates: [{ scope: 'user', path: '/api/enrollments' }],
    });
    await before;
    await caller.get('/api/enrollments', opts);
    expect(hits.of('GET /api/enrollments')).toBe(2);
  });

  it('refuses a user-scoped invalidation without a user id, before writing', async () => {
    const hits = hitCounter();
    server.use(
      http.post(`${LEGACY}/api/enrollments`, ({ request }) => {
        hits.record(request);
        return HttpResponse.json({}, { status: 201 });
      }),
    );
    const client = await fastClient();
    const err = await rejectionOf(() =>
      client.bind(as(undefined)).send('POST', '/api/enrollments', {}, {
        endpoint: 'enrollments.create',
        invalidates: [{ scope: 'user', path: '/api/enrollments' }],
      }),
    );
    expect(String(err)).toMatch(/needs the caller's user id/);
    expect(hits.of('POST /api/enrollments')).toBe(0);
  });
});
