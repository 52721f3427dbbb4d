import type { IncomingMessage } from 'node:http';
import { Keyv } from 'keyv';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ProblemError, problems } from '../edge/problem.ts';
import { setState, stateOf } from '../edge/request-state.ts';
import { createIdempotency, REPLAYED_HEADER } from './idempotency.ts';
import { createIdempotencyStore } from './idempotency-store.ts';
import { createRegistry } from './registry.ts';
import { defineRoute, type Caller, type IdempotencySettings, type MigratedRoute, type RouteResult } from './route.ts';

/**
 * The record flow around a handler, over the in-memory store (idempotency-store.test.ts runs
 * the store itself on a real Redis; e2e/idempotency.test.ts the whole path through the proxy).
 */

const ola: Caller = { userId: 'u-ola', roles: ['STUDENT'], via: 'legacy-jwt' };
const emma: Caller = { userId: 'u-emma', roles: ['STUDENT'], via: 'legacy-jwt' };

function route(idempotency?: IdempotencySettings, method: MigratedRoute['method'] = 'POST'): MigratedRoute {
  return defineRoute({
    id: 'things',
    method,
    path: '/api/things',
    flag: 'route.things',
    owner: 'Test team',
    targetDate: '2027-01-01',
    idempotency,
    handle: async () => ({ body: null }),
  });
}

let n = 0;
function request(key: string | undefined, method = 'POST', url = '/api/things'): IncomingMessage {
  const req = { method, url, headers: key === undefined ? {} : { 'idempotency-key': key } } as unknown as IncomingMessage;
  setState(req, { correlationId: `c-${++n}`, startedAt: 0n, method, url, servedBy: 'migrated', route: 'things', arrivedWith: 'legacyJwt' });
  return req;
}

function setup(maxAnswerBytes = 1024 * 1024) {
  const idempotency = createIdempotency({ store: createIdempotencyStore(new Keyv()), maxAnswerBytes, log: pino({ level: 'silent' }) });
  let runs = 0;
  /** A handler that answers `answer` (or throws it), counting its runs. */
  const handler = (answer: RouteResult | Error | (() => Promise<RouteResult>)) => async () => {
    runs++;
    if (answer instanceof Error) throw answer;
    return typeof answer === 'function' ? answer() : answer;
  };
  return { idempotency, handler, runs: () => runs };
}

const created: RouteResult = { status: 201, headers: { Location: '/api/things/t-1' }, body: { id: 't-1', name: 'first' } };

async function problemOf(work: Promise<unknown>): Promise<ProblemError> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ProblemError)) throw new Error(`expected a ProblemError, got ${String(err)}`);
  return err;
}

describe('idempotency records around a migrated write', () => {
  it('run a request without a key every time, unless the route requires one (400, not run)', async () => {
    const { idempotency, handler, runs } = setup();
    await idempotency.around({ req: request(undefined), route: route(), caller: ola, params: {}, body: { a: 1 } }, handler(created));
    await idempotency.around({ req: request(undefined), route: route(), caller: ola, params: {}, body: { a: 1 } }, handler(created));
    expect(runs()).toBe(2);

    const req = request(undefined);
    const err = await problemOf(idempotency.around({ req, route: route({ required: true }), caller: ola, params: {}, body: {} }, handler(created)));
    expect(err.problem).toMatchObject({ status: 400, type: 'urn:strangler-proxy:idempotency-key-missing' });
    expect(err.problem.detail).toMatch(/POST \/api\/things needs an Idempotency-Key/);
    expect(stateOf(req)).toMatchObject({ servedBy: 'proxy', refusal: 'idempotency-key-missing' });
    expect(runs()).toBe(2);
  });

  it('refuse an unreadable key with 400, without running', async () => {
    const { idempotency, handler, runs } = setup();
    const err = await problemOf(idempotency.around({ req: request('"a", "b"'), route: route(), caller: ola, params: {}, body: {} }, handler(created)));
    expect(err.problem).toMatchObject({ status: 400, type: 'urn:strangler-proxy:idempotency-key-invalid' });
    expect(runs()).toBe(0);
  });

  it('give a retry the first answer, marked as a replay, without running again', async () => {
    const { idempotency, handler, runs } = setup();
    const body = { name: 'first', tags: ['a', 'b'] };
    const first = await idempotency.around({ req: request('"k-1"'), route: route(), caller: ola, params: {}, body }, handler(created));
    expect(first).toEqual(created);
    // Same payload, keys in another order, the key spelled bare: the same request.
    const again = await idempotency.around({ req: request('k-1'), route: route(), caller: ola, params: {}, body: { tags: ['a', 'b'], name: 'first' } }, handler({ body: 'never' }));
    expect(again).toEqual({ status: 201, headers: { Location: '/api/things/t-1', [REPLAYED_HEADER]: 'true' }, body: created.body });
    expect(runs()).toBe(1);
  });

  it('refuse the key with another payload (422) and keep the first answer for its own retries', async () => {
    const { idempotency, handler, runs } = setup();
    await idempotency.around({ req: request('"k-2"'), route: route(), caller: ola, params: {}, body: { name: 'first' } }, handler(created));
    for (const [req, body] of [
      [request('"k-2"'), { name: 'second' }],
      [request('"k-2"', 'POST', '/api/things?dryRun=1'), { name: 'first' }],
    ] as const) {
      const err = await problemOf(idempotency.around({ req, route: route(), caller: ola, params: {}, body }, handler(created)));
      expect(err.problem).toMatchObject({ status: 422, type: 'urn:strangler-proxy:idempotency-key-reused' });
      expect(stateOf(req).refusal).toBe('idempotency-key-reused');
    }
    const again = await idempotency.around({ req: request('"k-2"'), route: route(), caller: ola, params: {}, body: { name: 'first' } }, handler(created));
    expect(again.headers?.[REPLAYED_HEADER]).toBe('true');
    expect(runs()).toBe(1);
  });

  it('answer a retry while the first still runs with 409 and Retry-After, then replay once it is done', async () => {
    const { idempotency, handler, runs } = setup();
    let finish!: () => void;
    const held = new Promise<void>((resolve) => (finish = resolve));
    const slow = idempotency.around({ req: request('"k-3"'), route: route(), caller: ola, params: {}, body: {} }, handler(async () => (await held, created)));
    const err = await problemOf(idempotency.around({ req: request('"k-3"'), route: route(), caller: ola, params: {}, body: {} }, handler(created)));
    expect(err.problem).toMatchObject({ status: 409, type: 'urn:strangler-proxy:idempotency-in-progress' });
    expect(err.headers['Retry-After']).toBe('1');
    finish();
    expect(await slow).toEqual(created);
    const again = await idempotency.around({ req: request('"k-3"'), route: route(), caller: ola, params: {}, body: {} }, handler(created));
    expect(again.headers?.[REPLAYED_HEADER]).toBe('true');
    expect(runs()).toBe(1);
  });

  it('keep each caller\'s keys apart, and each route\'s', async () => {
    const { idempotency, handler, runs } = setup();
    await idempotency.around({ req: request('"k-4"'), route: route(), caller: ola, params: {}, body: { name: 'ola' } }, handler(created));
    const other = await idempotency.around({ req: request('"k-4"'), route: route(), caller: emma, params: {}, body: { name: 'emma' } }, handler({ status: 201, body: { id: 't-2' } }));
    expect(other).toEqual({ status: 201, body: { id: 't-2' } });
    const otherRoute = { ...route(), id: 'other-things' };
    await idempotency.around({ req: request('"k-4"'), route: otherRoute, caller: ola, params: {}, body: { name: 'other' } }, handler(created));
    expect(runs()).toBe(3);
  });

  it('free the key after a 5xx answer or a crash, so that a retry runs again', async () => {
    const { idempotency, handler, runs } = setup();
    const at = () => ({ req: request('"k-5"'), route: route(), caller: ola, params: {}, body: {} });
    await idempotency.around(at(), handler({ status: 503, body: { error: 'busy' } }));
    await expect(idempotency.around(at(), handler(new Error('handler bug')))).rejects.toThrow('handler bug');
    await expect(idempotency.around(at(), handler(new ProblemError(problems.gatewayTimeout())))).rejects.toBeInstanceOf(ProblemError);
    await idempotency.around(at(), handler(created));
    expect(runs()).toBe(4);
    expect((await idempotency.around(at(), handler(created))).headers?.[REPLAYED_HEADER]).toBe('true');
  });

  it('keep a 4xx the handler threw, and replay it as the same problem', async () => {
    const { idempotency, handler, runs } = setup();
    const at = () => ({ req: request('"k-6"'), route: route(), caller: ola, params: {}, body: { course: 'c-1' } });
    const refused = new ProblemError(problems.badRequest('Send {"courseId": "<course id>"} to enroll.'));
    await expect(idempotency.around(at(), handler(refused))).rejects.toBe(refused);
    const replay = await problemOf(idempotency.around(at(), handler(created)));
    expect(replay.problem).toEqual(refused.problem);
    expect(replay.headers[REPLAYED_HEADER]).toBe('true');
    expect(runs()).toBe(1);
  });

  it('do not keep answers that mean "not now" (401, 403, 408, 425, 429)', async () => {
    const { idempotency, handler, runs } = setup();
    const at = () => ({ req: request('"k-7"'), route: route(), caller: ola, params: {}, body: {} });
    for (const status of [401, 403, 408, 425, 429]) await idempotency.around(at(), handler({ status, body: { error: 'later' } }));
    await idempotency.around(at(), handler(created));
    expect(runs()).toBe(6);
  });

  it('mark a key whose answer was too large as done: a retry gets 409 with the first status and location, never a second run', async () => {
    const { idempotency, handler, runs } = setup(1024);
    const big: RouteResult = { status: 201, headers: { Location: '/api/things/t-9' }, body: { blob: 'x'.repeat(2048) } };
    const at = () => ({ req: request('"k-8"'), route: route(), caller: ola, params: {}, body: {} });
    expect(await idempotency.around(at(), handler(big))).toEqual(big);
    const err = await problemOf(idempotency.around(at(), handler(big)));
    expect(err.problem).toMatchObject({ status: 409, type: 'urn:strangler-proxy:idempotency-answer-not-kept', firstStatus: 201, location: '/api/things/t-9' });
    expect(err.headers['Retry-After']).toBeUndefined();
    const otherPayload = await problemOf(idempotency.around({ ...at(), body: { other: true } }, handler(big)));
    expect(otherPayload.problem.status).toBe(422);
    expect(runs()).toBe(1);
  });

  it('never replays a cookie the handler set', async () => {
    const { idempotency, handler } = setup();
    const at = () => ({ req: request('"k-9"'), route: route(), caller: ola, params: {}, body: {} });
    await idempotency.around(at(), handler({ status: 200, headers: { 'Set-Cookie': 'a=1', ETag: '"v1"' }, body: {} }));
    expect((await idempotency.around(at(), handler(created))).headers).toEqual({ ETag: '"v1"', [REPLAYED_HEADER]: 'true' });
  });

  it('leave safe methods alone, key or not', async () => {
    const { idempotency, handler, runs } = setup();
    for (let i = 0; i < 2; i++) await idempotency.around({ req: request('"k-10"', 'GET'), route: route(undefined, 'GET'), caller: ola, params: {}, body: undefined }, handler(created));
    expect(runs()).toBe(2);
  });
});

describe('a route\'s idempotency declaration', () => {
  it('is checked at start-up, naming the route', () => {
    const bad = [
      { ...route({ ttlSeconds: 0 }), id: 'a', flag: 'route.a', path: '/api/a' },
      { ...route({ leaseSeconds: 1.5, required: 'yes' as never }), id: 'b', flag: 'route.b', path: '/api/b' },
      { ...route({ ttlSeconds: 60 }, 'GET'), id: 'c', flag: 'route.c', path: '/api/c' },
      { ...route({ ttl: 60 } as never), id: 'd', flag: 'route.d', path: '/api/d' },
    ];
    let message = '';
    try {
      createRegistry(bad, '/_proxy');
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/route "a" \(POST \/api\/a\): idempotency\.ttlSeconds must be a whole number of seconds from 1 to 2592000/);
    expect(message).toMatch(/route "b" .*idempotency\.leaseSeconds must be/);
    expect(message).toMatch(/route "b" .*idempotency\.required must be true or false/);
    expect(message).toMatch(/route "c" \(GET \/api\/c\): idempotency applies to POST, PUT, PATCH and DELETE routes/);
    expect(message).toMatch(/route "d" .*unknown setting "ttl"/);
    expect(() => createRegistry([route({ ttlSeconds: 3_600, required: true, leaseSeconds: 30 })], '/_proxy')).not.toThrow();
  });
});
