import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyStub, type LegacyStub } from './server.ts';
import { call } from './test-client.ts';

describe('POST /api/enrollments', () => {
  let stub: LegacyStub;
  const enroll = (username: string, json: unknown, key?: string) =>
    call(stub.url, '/api/enrollments', {
      token: stub.issueToken(username),
      json,
      headers: key ? { 'idempotency-key': key } : {},
    });
  const writes = async () => (await call(stub.url, '/__stub/stats')).body.enrollmentWrites as number;
  const course = async (id: string) => (await call(stub.url, `/api/courses/${id}`, { token: stub.issueToken('kari') })).body;

  beforeAll(async () => {
    stub = await startLegacyStub({ quiet: true });
  });
  afterAll(() => stub.close());

  it('enrols the caller, bumps the count and points an absolute Location at the legacy origin', async () => {
    const res = await enroll('ingrid', { courseId: 'c-105' });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.stringMatching(/^e-\d+$/), courseId: 'c-105', userId: 'u-ingrid', status: 'ENROLLED' });
    expect(res.headers.get('location')).toBe(`${stub.url}/api/enrollments/${res.body.id}`);
    expect((await course('c-105')).enrollment.enrolled).toBe(3);
    const mine = await call(stub.url, '/api/enrollments?userId=u-ingrid', { token: stub.issueToken('ingrid') });
    expect(mine.body).toEqual([expect.objectContaining({ id: res.body.id, status: 'ENROLLED' })]);
    expect((await call(stub.url, '/api/enrollments?userId=u-ingrid', { token: stub.issueToken('ola') })).status).toBe(403);
  });

  it('waitlists when the course is full or has capacity 0', async () => {
    const full = await enroll('kari', { courseId: 'c-102' }); // seeded 28 / 28
    expect(full.body.status).toBe('WAITLISTED');
    expect((await course('c-102')).enrollment).toEqual({ capacity: 28, enrolled: 28, waitlist: 4 });
    const draft = await enroll('kari', { courseId: 'c-103' });
    expect(draft.body.status).toBe('WAITLISTED');
    expect((await course('c-103')).enrollment).toEqual({ capacity: 0, enrolled: 0, waitlist: 1 });
  });

  it('replays the stored answer for a repeated Idempotency-Key and writes once', async () => {
    const before = await writes();
    const first = await enroll('ola', { courseId: 'c-105' }, 'key-ola-1');
    const again = await enroll('ola', { courseId: 'c-105' }, 'key-ola-1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(await writes()).toBe(before + 1);
  });

  it('refuses a reused key with a different body (422), and keys are per user', async () => {
    await enroll('lars', { courseId: 'c-201' }, 'shared-key');
    const reused = await enroll('lars', { courseId: 'c-202' }, 'shared-key');
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({ error: 'idempotency_key_reused', message: expect.any(String) });
    const otherUser = await enroll('emma', { courseId: 'c-202' }, 'shared-key');
    expect(otherUser.status).toBe(201);
    expect(otherUser.body.userId).toBe('u-emma');
  });

  it('answers 409 for a second enrolment without a key and 404 for an unknown course, writing nothing', async () => {
    const before = await writes();
    const twice = await enroll('ola', { courseId: 'c-101' }); // seeded enrolment
    expect(twice.status).toBe(409);
    expect(twice.body.error).toBe('already_enrolled');
    const unknown = await enroll('ola', { courseId: 'c-999' });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toBe('not_found');
    expect(await writes()).toBe(before);
  });

  it('counts requests by path for tests that prove what reached the legacy API', async () => {
    const { requestsByPath } = (await call(stub.url, '/__stub/stats')).body;
    expect(requestsByPath['/api/enrollments']).toBeGreaterThanOrEqual(8);
    expect(requestsByPath).not.toHaveProperty('/__stub/stats');
  });
});
