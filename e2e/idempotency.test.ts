import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { rawRequest } from '../test-support/raw-http.ts';
import { startRedis, type RedisHandle } from '../test-support/redis-server.ts';
import { startProxy, startStack, type ProxyInFront, type Stack } from '../test-support/stack.ts';
import { until } from '../test-support/until.ts';

/**
 * Idempotency-Key on a migrated write, through the real proxy in front of the real legacy
 * stand-in: the shipped enrollments handler (key optional) and the same handler declared with
 * the key required (e2e/fixtures/idempotency-routes). What the legacy API received proves how
 * many times the write ran.
 */

const ROUTES_DIR = fileURLToPath(new URL('./fixtures/idempotency-routes', import.meta.url));
const FLAGS = { 'route.enrollments': { rollout: 100 }, 'route.enrollments-strict': { rollout: 100 } };

let counter = 0;

async function enroll(port: number, token: string, courseId: string, key?: string, path = '/api/enrollments') {
  const correlationId = `idem-${++counter}-${Date.now()}`;
  const body = JSON.stringify({ courseId });
  const res = await rawRequest({
    port,
    method: 'POST',
    path,
    headers: [
      'X-Correlation-Id', correlationId,
      'Authorization', `Bearer ${token}`,
      'Content-Type', 'application/json',
      ...(key === undefined ? [] : ['Idempotency-Key', key]),
    ],
    body,
  });
  const text = res.body.toString('utf8');
  return { status: res.status, headers: res.headers, text, json: text ? (JSON.parse(text) as Record<string, any>) : undefined, correlationId };
}

/** POSTs that reached the legacy enrolment endpoint so far. */
const legacyWrites = (stack: Stack) => stack.legacy.received.filter((r) => r.method === 'POST' && r.url === '/api/enrollments').length;

function expectProblem(answer: Awaited<ReturnType<typeof enroll>>, status: number, type: string) {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.json).toMatchObject({ status, type: `urn:strangler-proxy:${type}`, correlationId: answer.correlationId });
  expect(answer.headers['x-correlation-id']).toBe(answer.correlationId);
}

describe('Idempotency-Key on a migrated write (memory store)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { MIGRATED_ROUTES_DIR: ROUTES_DIR }, flags: FLAGS });
  });
  afterAll(() => stack?.stop());

  it('runs the write once for a key: the retry gets the same answer, marked as a replay', async () => {
    const kari = stack.legacy.issueToken('kari');
    const before = legacyWrites(stack);
    const first = await enroll(stack.proxyPort, kari, 'c-101', '"kari-enroll-1"');
    const retry = await enroll(stack.proxyPort, kari, 'c-101', '"kari-enroll-1"');
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(first.headers.location).toMatch(/^\/api\/enrollments\/e-\d+$/);
    expect(retry.status).toBe(201);
    expect(retry.text).toBe(first.text);
    expect(retry.headers.location).toBe(first.headers.location);
    expect(retry.headers['content-type']).toBe(first.headers['content-type']);
    expect(retry.headers['idempotent-replayed']).toBe('true');
    expect(legacyWrites(stack) - before).toBe(1);
  });

  it('refuses the same key with another body (422 problem+json), sending nothing to the legacy API', async () => {
    const kari = stack.legacy.issueToken('kari');
    await enroll(stack.proxyPort, kari, 'c-105', '"kari-enroll-2"');
    const before = legacyWrites(stack);
    const reused = await enroll(stack.proxyPort, kari, 'c-202', '"kari-enroll-2"');
    expectProblem(reused, 422, 'idempotency-key-reused');
    expect(legacyWrites(stack)).toBe(before);
  });

  it('answers a retry while the first request still runs with 409, and replays once it is done', async () => {
    const lars = stack.legacy.issueToken('lars');
    const before = legacyWrites(stack);
    stack.legacy.setFaults([{ method: 'POST', path: '^/api/enrollments$', latencyMs: 1_500 }]);
    try {
      const answers = await Promise.all([
        enroll(stack.proxyPort, lars, 'c-105', 'lars-enroll-1'),
        enroll(stack.proxyPort, lars, 'c-105', 'lars-enroll-1'),
      ]);
      const [done, conflict] = answers.sort((a, b) => a.status - b.status);
      expect(done!.status).toBe(201);
      expectProblem(conflict!, 409, 'idempotency-in-progress');
      expect(conflict!.headers['retry-after']).toBe('1');
      expect(legacyWrites(stack) - before).toBe(1);
      const later = await enroll(stack.proxyPort, lars, 'c-105', 'lars-enroll-1');
      expect(later.status).toBe(201);
      expect(later.headers['idempotent-replayed']).toBe('true');
      expect(later.text).toBe(done!.text);
    } finally {
      stack.legacy.setFaults([]);
    }
    expect(legacyWrites(stack) - before).toBe(1);
  });

  it('keeps keys per caller: another user with the same key gets a write of their own', async () => {
    const before = legacyWrites(stack);
    const nina = await enroll(stack.proxyPort, stack.legacy.issueToken('nina'), 'c-202', '"shared-key"');
    const emma = await enroll(stack.proxyPort, stack.legacy.issueToken('emma'), 'c-202', '"shared-key"');
    expect([nina.status, emma.status]).toEqual([201, 201]);
    expect(nina.json!.userId).toBe('u-nina');
    expect(emma.json!.userId).toBe('u-emma');
    expect(emma.headers['idempotent-replayed']).toBeUndefined();
    expect(legacyWrites(stack) - before).toBe(2);
  });

  it('refuses a missing key where the route requires one (400), and an unreadable key anywhere', async () => {
    const ingrid = stack.legacy.issueToken('ingrid');
    const before = legacyWrites(stack);
    const missing = await enroll(stack.proxyPort, ingrid, 'c-201', undefined, '/api/v2/enrollments');
    expectProblem(missing, 400, 'idempotency-key-missing');
    expect(missing.json!.detail).toMatch(/POST \/api\/v2\/enrollments needs an Idempotency-Key/);
    const unreadable = await enroll(stack.proxyPort, ingrid, 'c-201', '"a", "b"');
    expectProblem(unreadable, 400, 'idempotency-key-invalid');
    expect(legacyWrites(stack)).toBe(before);
    const withKey = await enroll(stack.proxyPort, ingrid, 'c-201', '"ingrid-enroll-1"', '/api/v2/enrollments');
    expect(withKey.status).toBe(201);
    expect(legacyWrites(stack) - before).toBe(1);
  });

  it('keeps no record while the flag says legacy: the key goes to the legacy API as sent, which answers for it', async () => {
    stack.setFlags({ ...FLAGS, 'route.enrollments': { rollout: 0 } });
    await until(() => stack.proxy.flags.decide('route.enrollments', { userId: 'u-kari', sessionId: 'x' }) === 'legacy', 5_000);
    const kari = stack.legacy.issueToken('kari');
    const before = legacyWrites(stack);
    const first = await enroll(stack.proxyPort, kari, 'c-202', '"kari-enroll-3"');
    const retry = await enroll(stack.proxyPort, kari, 'c-202', '"kari-enroll-3"');
    expect(first.status).toBe(201);
    expect(retry.headers['idempotent-replayed']).toBe('true'); // the legacy stand-in's own replay
    expect(legacyWrites(stack) - before).toBe(2);
    const sent = stack.legacy.received.filter((r) => r.method === 'POST' && r.url === '/api/enrollments').at(-1)!;
    const header = sent.rawHeaders.findIndex((h, i) => i % 2 === 0 && h.toLowerCase() === 'idempotency-key');
    expect(sent.rawHeaders[header + 1]).toBe('"kari-enroll-3"');
  });
});

describe('Idempotency-Key records shared by two instances on one Redis', () => {
  let redis: RedisHandle;
  let stack: Stack;
  let other: ProxyInFront;
  beforeAll(async () => {
    redis = await startRedis();
    const env = { MIGRATED_ROUTES_DIR: ROUTES_DIR, REDIS_URL: redis.url, STORE_TIMEOUT_MS: '500' };
    stack = await startStack({ env, flags: FLAGS });
    other = await startProxy({ legacyUrl: stack.legacy.url, env, flags: FLAGS });
  });
  afterAll(async () => {
    await other?.stop();
    await stack?.stop();
    await redis?.stop();
  });

  it('let one instance run a key while the other answers 409, then replay it on either', async () => {
    const ola = stack.legacy.issueToken('ola');
    const before = legacyWrites(stack);
    stack.legacy.setFaults([{ method: 'POST', path: '^/api/enrollments$', latencyMs: 1_500 }]);
    let first;
    try {
      const running = enroll(stack.proxyPort, ola, 'c-105', '"ola-enroll-1"');
      await until(() => legacyWrites(stack) - before === 1, 5_000);
      const conflict = await enroll(other.proxyPort, ola, 'c-105', '"ola-enroll-1"');
      expectProblem(conflict, 409, 'idempotency-in-progress');
      first = await running;
    } finally {
      stack.legacy.setFaults([]);
    }
    expect(first.status).toBe(201);
    const replay = await enroll(other.proxyPort, ola, 'c-105', '"ola-enroll-1"');
    expect(replay.status).toBe(201);
    expect(replay.text).toBe(first.text);
    expect(replay.headers['idempotent-replayed']).toBe('true');
    expect(legacyWrites(stack) - before).toBe(1);
  });

  it('refuse a keyed write with 503 and Retry-After while the store is down, never running it unguarded', async () => {
    await redis.kill();
    const before = legacyWrites(stack);
    const answer = await enroll(stack.proxyPort, stack.legacy.issueToken('ola'), 'c-202', '"ola-enroll-2"');
    expectProblem(answer, 503, 'store-unavailable');
    expect(answer.headers['retry-after']).toBe('5');
    expect(answer.json!.detail).toMatch(/Idempotency records are unavailable/);
    expect(legacyWrites(stack)).toBe(before);
  });
});
