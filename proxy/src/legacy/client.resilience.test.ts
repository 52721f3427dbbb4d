import nodeHttp from 'node:http';
import type { AddressInfo } from 'node:net';
import { http, HttpResponse, passthrough } from 'msw';
import { setupServer } from 'msw/node';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LegacyCallError } from './errors.ts';
import { fastClient, hitCounter, LEGACY, rejectionOf, sleep } from './test-fixtures.ts';
import { until } from '../../../test-support/until.ts';

const server = setupServer();
beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

const bindArgs = { routeId: 'dashboard', correlationId: 'corr-1', credentials: { authorization: 'Bearer legacy-jwt' }, userId: 'u-1' };

/** Answers with the statuses in turn, then keeps answering the last one. */
function statuses(path: string, sequence: Array<number | 'slow' | 'reset'>, hits = hitCounter(), retryAfter?: string) {
  return {
    hits,
    handler: http.all(`${LEGACY}${path}`, async ({ request }) => {
      const n = hits.record(request);
      const step = sequence[Math.min(n, sequence.length) - 1];
      if (step === 'slow') {
        await sleep(5_000, request.signal);
        return HttpResponse.json({ late: true });
      }
      if (step === 'reset') return HttpResponse.error();
      if (step === 204) return new HttpResponse(null, { status: 204 });
      const headers: Record<string, string> = retryAfter && step !== 200 ? { 'retry-after': retryAfter } : {};
      return HttpResponse.json({ n, status: step }, { status: step, headers });
    }),
  };
}

describe('the legacy client: what it sends', () => {
  it('forwards the correlation id, the caller credentials and the idempotency key', async () => {
    let seen: Headers | undefined;
    let body: unknown;
    server.use(
      http.post(`${LEGACY}/api/enrollments`, async ({ request }) => {
        seen = request.headers;
        body = await request.json();
        return HttpResponse.json({ id: 'e-1' }, { status: 201 });
      }),
    );
    const client = await fastClient();
    const res = await client
      .bind(bindArgs)
      .send('POST', '/api/enrollments', { courseId: 'c-1' }, { endpoint: 'enrollments.create', idempotencyKey: 'k-9' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: 'e-1' });
    expect(body).toEqual({ courseId: 'c-1' });
    expect(seen?.get('x-correlation-id')).toBe('corr-1');
    expect(seen?.get('authorization')).toBe('Bearer legacy-jwt');
    expect(seen?.get('idempotency-key')).toBe('k-9');
  });

  it('refuses a path that could leave the legacy origin', async () => {
    const client = await fastClient();
    const err = await rejectionOf(() => client.bind(bindArgs).get('//evil.example/x', { endpoint: 'x' }));
    expect(String(err)).toMatch(/single '\/'/);
  });
});

describe('the legacy client: retries', () => {
  it('retries a GET answered 503 and returns the answer that follows', async () => {
    const { hits, handler } = statuses('/api/courses', [503, 503, 200]);
    server.use(handler);
    const client = await fastClient();
    const body = await client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' });
    expect(body).toEqual({ n: 3, status: 200 });
    expect(hits.of('GET /api/courses')).toBe(3);
  });

  it('retries a transport failure', async () => {
    const { hits, handler } = statuses('/api/courses', ['reset', 200]);
    server.use(handler);
    const client = await fastClient();
    await expect(client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' })).resolves.toEqual({
      n: 2,
      status: 200,
    });
    expect(hits.of('GET /api/courses')).toBe(2);
  });

  it('gives up after the configured retries with the last status', async () => {
    const { hits, handler } = statuses('/api/courses', [502]);
    server.use(handler);
    const client = await fastClient();
    const err = await rejectionOf(() => client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' }));
    expect(err).toBeInstanceOf(LegacyCallError);
    expect(err).toMatchObject({ kind: 'status', status: 502, endpoint: 'courses.list' });
    expect(hits.of('GET /api/courses')).toBe(3);
  });

  it('waits at least the Retry-After seconds before retrying', async () => {
    const times: number[] = [];
    const hits = hitCounter();
    server.use(
      http.get(`${LEGACY}/api/courses`, ({ request }) => {
        times.push(Date.now());
        return hits.record(request) === 1
          ? HttpResponse.json({}, { status: 503, headers: { 'retry-after': '1' } })
          : HttpResponse.json({ ok: true });
      }),
    );
    const client = await fastClient({ defaults: { deadlineMs: 3_000, attemptTimeoutMs: 500, backoffMaxMs: 40 } });
    await expect(client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' })).resolves.toEqual({ ok: true });
    expect(times).toHaveLength(2);
    // The jittered backoff alone would be under 40 ms.
    expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(990);
  });

  it('does not wait for a Retry-After that ends past the deadline: it answers with the status at once', async () => {
    const { hits, handler } = statuses('/api/courses', [503], hitCounter(), '30');
    server.use(handler);
    const client = await fastClient();
    const err = await rejectionOf(() => client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' }));
    expect(err).toMatchObject({ kind: 'status', status: 503 });
    expect(hits.of('GET /api/courses')).toBe(1);
  });

  it.each([400, 404])('never retries a %i', async (status) => {
    const { hits, handler } = statuses('/api/courses/c-1', [status, 200]);
    server.use(handler);
    const client = await fastClient();
    const err = await rejectionOf(() => client.bind(bindArgs).get('/api/courses/c-1', { endpoint: 'courses.one' }));
    expect(err).toMatchObject({ kind: 'status', status });
    expect(hits.of('GET /api/courses/c-1')).toBe(1);
  });

  it('never retries a POST, even on 503 and even when called idempotent', async () => {
    const { hits, handler } = statuses('/api/enrollments', [503, 201]);
    server.use(handler);
    const client = await fastClient();
    const caller = client.bind(bindArgs);
    const err = await rejectionOf(() =>
      caller.send('POST', '/api/enrollments', { courseId: 'c-1' }, { endpoint: 'enrollments.create', idempotent: true }),
    );
    expect(err).toMatchObject({ kind: 'status', status: 503 });
    expect(hits.of('POST /api/enrollments')).toBe(1);
  });

  it('never retries a GET the call marks non-idempotent', async () => {
    const { hits, handler } = statuses('/api/tickets/next', [503, 200]);
    server.use(handler);
    const client = await fastClient();
    const err = await rejectionOf(() =>
      client.bind(bindArgs).get('/api/tickets/next', { endpoint: 'tickets.next', idempotent: false }),
    );
    expect(err).toMatchObject({ kind: 'status', status: 503 });
    expect(hits.of('GET /api/tickets/next')).toBe(1);
  });

  it('retries a PUT only when the call says it is idempotent', async () => {
    const plain = statuses('/api/profile', [503, 200]);
    server.use(plain.handler);
    const client = await fastClient();
    const caller = client.bind(bindArgs);
    await expect(caller.send('PUT', '/api/profile', { a: 1 }, { endpoint: 'profile.put' })).rejects.toMatchObject({
      status: 503,
    });
    expect(plain.hits.of('PUT /api/profile')).toBe(1);

    const marked = statuses('/api/profile', [503, 200]);
    server.use(marked.handler);
    const res = await caller.send('PUT', '/api/profile', { a: 1 }, { endpoint: 'profile.put', idempotent: true });
    expect(res.status).toBe(200);
    expect(marked.hits.of('PUT /api/profile')).toBe(2);
  });

  it('returns 4xx answers to writes instead of throwing', async () => {
    server.use(
      http.post(`${LEGACY}/api/enrollments`, () =>
        HttpResponse.json({ error: 'already enrolled' }, { status: 409 }),
      ),
    );
    const client = await fastClient();
    const res = await client.bind(bindArgs).send('POST', '/api/enrollments', {}, { endpoint: 'enrollments.create' });
    expect(res).toMatchObject({ status: 409, body: { error: 'already enrolled' } });
  });
});

describe('the legacy client: time limits', () => {
  it('times out a slow attempt with kind "timeout"', async () => {
    const { handler } = statuses('/api/slow', ['slow']);
    server.use(handler);
    const client = await fastClient({ defaults: { retries: 0 } });
    const err = await rejectionOf(() => client.bind(bindArgs).get('/api/slow', { endpoint: 'slow' }));
    expect(err).toMatchObject({ kind: 'timeout', endpoint: 'slow' });
  });

  it('retries after an attempt timeout', async () => {
    const { hits, handler } = statuses('/api/slow', ['slow', 200]);
    server.use(handler);
    const client = await fastClient();
    await expect(client.bind(bindArgs).get('/api/slow', { endpoint: 'slow' })).resolves.toMatchObject({ status: 200 });
    expect(hits.of('GET /api/slow')).toBe(2);
  });

  it('ends the whole call at the deadline, retries and backoff included', async () => {
    const { hits, handler } = statuses('/api/slow', ['slow']);
    server.use(handler);
    // Six 150 ms attempts would take 900 ms and more; the deadline says 450 (mid third attempt).
    const client = await fastClient({ defaults: { attemptTimeoutMs: 150, deadlineMs: 450, retries: 5 } });
    const started = Date.now();
    const err = await rejectionOf(() => client.bind(bindArgs).get('/api/slow', { endpoint: 'slow' }));
    const elapsed = Date.now() - started;
    expect(err).toMatchObject({ kind: 'deadline' });
    expect(elapsed).toBeGreaterThanOrEqual(440);
    expect(elapsed).toBeLessThan(850);
    expect(hits.of('GET /api/slow')).toBeLessThanOrEqual(3);
  });
});

describe('the legacy client: circuit breaker', () => {
  it('opens after N failures, fails fast without calling upstream, then a half-open probe closes it', async () => {
    const hits = hitCounter();
    let healthy = false;
    server.use(
      http.get(`${LEGACY}/api/users/u-1`, ({ request }) => {
        hits.record(request);
        return healthy ? HttpResponse.json({ id: 'u-1' }) : HttpResponse.json({}, { status: 500 });
      }),
    );
    const client = await fastClient({ defaults: { retries: 0 } });
    const call = () => client.bind(bindArgs).get('/api/users/u-1', { endpoint: 'users.profile' });

    for (let i = 0; i < 3; i++) await expect(call()).rejects.toMatchObject({ kind: 'status', status: 500 });
    expect(client.health()).toEqual([{ key: 'dashboard:users.profile', state: 'open' }]);

    await expect(call()).rejects.toMatchObject({ kind: 'circuit-open', endpoint: 'users.profile' });
    await expect(call()).rejects.toMatchObject({ kind: 'circuit-open' });
    expect(hits.of('GET /api/users/u-1')).toBe(3);

    await sleep(250);
    expect(client.health()[0]?.state).toBe('half-open');
    healthy = true;
    await expect(call()).resolves.toEqual({ id: 'u-1' });
    expect(hits.of('GET /api/users/u-1')).toBe(4);
    expect(client.health()[0]?.state).toBe('closed');
  });

  it('re-opens when the half-open probe fails', async () => {
    const { hits, handler } = statuses('/api/users/u-1', [503]);
    server.use(handler);
    const client = await fastClient({ defaults: { retries: 0 } });
    const call = () => client.bind(bindArgs).get('/api/users/u-1', { endpoint: 'users.profile' });
    for (let i = 0; i < 3; i++) await expect(call()).rejects.toMatchObject({ kind: 'status' });
    await sleep(250);
    await expect(call()).rejects.toMatchObject({ kind: 'status', status: 503 });
    expect(client.health()[0]?.state).toBe('open');
    await expect(call()).rejects.toMatchObject({ kind: 'circuit-open' });
    expect(hits.of('GET /api/users/u-1')).toBe(4);
  });

  it('does not count 4xx answers (other than 408/429) as failures', async () => {
    const { hits, handler } = statuses('/api/users/nobody', [404]);
    server.use(handler);
    const client = await fastClient({ defaults: { retries: 0 } });
    for (let i = 0; i < 5; i++) {
      await expect(
        client.bind(bindArgs).get('/api/users/nobody', { endpoint: 'users.profile' }),
      ).rejects.toMatchObject({ kind: 'status', status: 404 });
    }
    expect(hits.of('GET /api/users/nobody')).toBe(5);
    expect(client.health()[0]?.state).toBe('closed');
  });

  it('keeps one breaker per (route, endpoint), created once and shared by requests', async () => {
    const { handler } = statuses('/api/users/u-1', [500]);
    server.use(handler);
    const client = await fastClient({ defaults: { retries: 0 } });
    for (let i = 0; i < 3; i++) {
      // A fresh bind per request, as the router does.
      await rejectionOf(() =>
        client.bind({ ...bindArgs, correlationId: `c-${i}` }).get('/api/users/u-1', { endpoint: 'users.profile' }),
      );
    }
    await rejectionOf(() => client.bind({ ...bindArgs, routeId: 'profile-page' }).get('/api/users/u-1', { endpoint: 'users.profile' }));
    expect(client.health()).toEqual([
      { key: 'dashboard:users.profile', state: 'open' },
      { key: 'profile-page:users.profile', state: 'closed' },
    ]);
  });
});

describe('the legacy client: bulkhead', () => {
  it('rejects calls beyond max concurrent + queue with kind "bulkhead-full"', async () => {
    server.use(
      http.get(`${LEGACY}/api/reports`, async ({ request }) => {
        await sleep(150, request.signal);
        return HttpResponse.json({ ok: true });
      }),
    );
    const client = await fastClient({ defaults: { bulkhead: { maxConcurrent: 1, maxQueue: 1 } } });
    const call = () => client.bind(bindArgs).get('/api/reports', { endpoint: 'reports' });
    const running = call();
    const queued = call();
    await expect(call()).rejects.toMatchObject({ kind: 'bulkhead-full', endpoint: 'reports' });
    await expect(running).resolves.toEqual({ ok: true });
    await expect(queued).resolves.toEqual({ ok: true });
  });
});

describe('the legacy client: answers', () => {
  it('reports a 2xx body that is not JSON as a malformed reply, without retrying', async () => {
    const hits = hitCounter();
    server.use(
      http.get(`${LEGACY}/api/courses`, ({ request }) => {
        hits.record(request);
        return new HttpResponse('<html>oops</html>', { status: 200, headers: { 'content-type': 'text/html' } });
      }),
    );
    const client = await fastClient();
    const err = await rejectionOf(() => client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' }));
    expect(err).toMatchObject({ kind: 'status', status: 200 });
    expect((err as Error).message).toMatch(/malformed reply/);
    expect(hits.of('GET /api/courses')).toBe(1);
  });

  it('yields undefined for a 204', async () => {
    server.use(statuses('/api/ping', [204]).handler);
    const client = await fastClient();
    await expect(client.bind(bindArgs).get('/api/ping', { endpoint: 'ping' })).resolves.toBeUndefined();
  });
});

describe('the legacy client: the caller going away', () => {
  it('cancels the in-flight request: the legacy API sees its connection close', async () => {
    // A real server on loopback (msw lets it through): what it sees is what a legacy API would.
    let arrived = false;
    let cutOff = false;
    const upstream = nodeHttp.createServer((_req, res) => {
      arrived = true;
      res.once('close', () => (cutOff = !res.writableFinished)); // it never answers by itself
    });
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
    server.use(http.all(`${url}/*`, () => passthrough()));
    try {
      const client = await fastClient({ baseUrl: url, defaults: { attemptTimeoutMs: 900 } });
      const ctrl = new AbortController();
      const pending = client.bind({ ...bindArgs, signal: ctrl.signal }).get('/api/slow', { endpoint: 'slow' });
      await until(() => arrived);
      ctrl.abort();
      await expect(pending).rejects.toMatchObject({ kind: 'aborted', endpoint: 'slow' });
      await until(() => cutOff);
      await client.close();
    } finally {
      upstream.closeAllConnections();
      await new Promise((resolve) => upstream.close(resolve));
    }
  });

  it('cancels a backoff wait: no further attempt is made', async () => {
    const { hits, handler } = statuses('/api/courses', [503, 200]);
    server.use(handler);
    const client = await fastClient({ defaults: { backoffBaseMs: 300, backoffMaxMs: 300, deadlineMs: 2_000 } });
    const ctrl = new AbortController();
    const pending = client.bind({ ...bindArgs, signal: ctrl.signal }).get('/api/courses', { endpoint: 'courses.list' });
    await sleep(60);
    expect(hits.of('GET /api/courses')).toBe(1);
    ctrl.abort();
    await expect(pending).rejects.toMatchObject({ kind: 'aborted' });
    // Past the longest backoff the policy could have chosen: still one attempt.
    await sleep(400);
    expect(hits.of('GET /api/courses')).toBe(1);
  });
});

describe('the legacy client: per-route policy overrides', () => {
  it('applies a route\'s upstream overrides to that route only', async () => {
    const { hits, handler } = statuses('/api/courses', [503]);
    server.use(handler);
    const client = await fastClient();
    await rejectionOf(() =>
      client
        .bind({ ...bindArgs, routeId: 'strict', policies: { 'courses.list': { retries: 0 } } })
        .get('/api/courses', { endpoint: 'courses.list' }),
    );
    expect(hits.of('GET /api/courses')).toBe(1);
    await rejectionOf(() => client.bind(bindArgs).get('/api/courses', { endpoint: 'courses.list' }));
    expect(hits.of('GET /api/courses')).toBe(4);
  });

  it('rejects an impossible policy with clear words', async () => {
    const client = await fastClient();
    const err = await rejectionOf(() =>
      client
        .bind({ ...bindArgs, policies: { x: { attemptTimeoutMs: 5_000, deadlineMs: 1_000 } } })
        .get('/api/x', { endpoint: 'x' }),
    );
    expect(String(err)).toMatch(/attemptTimeoutMs must not exceed deadlineMs/);
  });
});
