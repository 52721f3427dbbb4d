import { describe, expect, it } from 'vitest';
import { redisSuite } from '../../../test-support/shared-keyvs.ts';
import { until } from '../../../test-support/until.ts';
import { StoreUnavailableError } from '../storage/store-unavailable.ts';
import { createIdempotencyStore, type Finished } from './idempotency-store.ts';

const suite = redisSuite();

/** Two instances' stores over one Redis (one shared store in memory). */
function open(redisUrl: string | undefined) {
  const shared = suite.shared(redisUrl, { namespace: 'idem', timeoutMs: 300 });
  return { a: createIdempotencyStore(shared.a), b: createIdempotencyStore(shared.b) };
}

const answered = (token: string, fingerprint = 'f1'): Finished => ({
  state: 'answered',
  fingerprint,
  token,
  answer: { status: 201, headers: { Location: '/api/enrollments/e-9' }, body: { id: 'e-9' } },
});

let n = 0;
const freshId = () => `route:${++n}-${Date.now()}`;

describe.each([
  ['in memory', () => undefined],
  ['on one Redis', () => suite.redis.url],
])('idempotency records %s', (_, url) => {
  it('let exactly one of many concurrent claims on a key win, across two instances', async () => {
    const { a, b } = open(url());
    const id = freshId();
    const claims = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).claim(id, 'f1', 10_000)));
    expect(claims.filter((c) => c.claimed)).toHaveLength(1);
    for (const c of claims.filter((c) => !c.claimed)) expect(c).toMatchObject({ record: { state: 'running', fingerprint: 'f1' } });
  });

  it('hand the finished answer to every later claim, on the other instance too', async () => {
    const { a, b } = open(url());
    const id = freshId();
    const first = await a.claim(id, 'f1', 10_000);
    if (!first.claimed) throw new Error('the first claim must win');
    expect(await a.finish(id, answered(first.token), 60_000)).toBe(true);
    const again = await b.claim(id, 'f1', 10_000);
    expect(again).toEqual({ claimed: false, record: answered(first.token) });
  });

  it('let only the claim holder finish or release it', async () => {
    const { a, b } = open(url());
    const id = freshId();
    const first = await a.claim(id, 'f1', 10_000);
    if (!first.claimed) throw new Error('the first claim must win');
    expect(await b.finish(id, answered('someone-else'), 60_000)).toBe(false);
    await b.release(id, 'someone-else');
    expect(await b.claim(id, 'f1', 10_000)).toMatchObject({ claimed: false, record: { state: 'running', token: first.token } });
    await a.release(id, first.token);
    expect(await b.claim(id, 'f1', 10_000)).toMatchObject({ claimed: true });
  });

  it('free a claim whose holder died once its lease ends, and forget an answer after its lifetime', async () => {
    const { a, b } = open(url());
    const id = freshId();
    expect(await a.claim(id, 'f1', 150)).toMatchObject({ claimed: true });
    expect(await b.claim(id, 'f2', 10_000)).toMatchObject({ claimed: false, record: { state: 'running' } });
    await until(async () => (await b.claim(id, 'f2', 10_000)).claimed);
    const answeredId = freshId();
    const claim = await b.claim(answeredId, 'f1', 10_000);
    if (!claim.claimed) throw new Error('a fresh key must be claimed');
    await b.finish(answeredId, answered(claim.token), 150);
    await until(async () => (await a.claim(answeredId, 'f1', 10_000)).claimed);
  });

  it('answer a late finish with false once the lease ran out and another request holds the key', async () => {
    const { a, b } = open(url());
    const id = freshId();
    const first = await a.claim(id, 'f1', 100);
    if (!first.claimed) throw new Error('the first claim must win');
    await until(async () => (await b.claim(id, 'f1', 10_000)).claimed);
    expect(await a.finish(id, answered(first.token), 60_000)).toBe(false);
    expect(await b.claim(id, 'f1', 10_000)).toMatchObject({ claimed: false, record: { state: 'running' } });
  });
});

describe('idempotency records on a Redis that stops answering', () => {
  it('fail with StoreUnavailableError within the store deadline, never as "no record"', async () => {
    const { a } = open(suite.redis.url);
    const id = freshId();
    await a.claim(id, 'f1', 10_000); // connected
    suite.redis.pause();
    await expect(a.claim(freshId(), 'f1', 10_000)).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(a.release(id, 'x')).rejects.toBeInstanceOf(StoreUnavailableError);
  });
});
