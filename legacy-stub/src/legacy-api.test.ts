import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLegacyStub, type LegacyStub } from './server.ts';
import { call } from './test-client.ts';

describe('legacy read endpoints and the old /api/home screen', () => {
  let stub: LegacyStub;
  const get = (path: string, username = 'ingrid') => call(stub.url, path, { token: stub.issueToken(username) });

  beforeAll(async () => {
    stub = await startLegacyStub({ quiet: true });
  });
  afterAll(() => stub.close());

  it('serves profiles, omitting avatarPath when a user has none, and 404s unknown ids', async () => {
    expect((await get('/api/users/u-ingrid/profile', 'ola')).body).toEqual({
      id: 'u-ingrid',
      firstName: 'Ingrid',
      lastName: 'Solberg',
      organisationId: 'org-uninett',
      roleCode: 'TEACHER',
      avatarPath: 'ingrid.png',
    });
    expect((await get('/api/users/u-ola/profile')).body).not.toHaveProperty('avatarPath');
    const unknown = await get('/api/users/u-nobody/profile');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'not_found', message: expect.any(String) });
  });

  it("lets users read only their own unread count, administrators anyone's", async () => {
    expect((await get('/api/notifications/unread?userId=u-ingrid')).body).toEqual({ userId: 'u-ingrid', count: 3 });
    expect((await get('/api/notifications/unread?userId=u-ola')).status).toBe(403);
    expect((await get('/api/notifications/unread?userId=u-ola', 'kari')).body).toEqual({ userId: 'u-ola', count: 1 });
  });

  it('lists courses per organisation in id order, including a capacity-0 draft and an empty organisation', async () => {
    const uninett = (await get('/api/courses?orgId=org-uninett')).body as Array<any>;
    expect(uninett.length).toBeGreaterThanOrEqual(4);
    expect(uninett.map((c) => c.id)).toEqual([...uninett.map((c) => c.id)].sort());
    expect(uninett.find((c) => c.enrollment.capacity === 0)?.status.code).toBe('DRAFT');
    expect((await get('/api/courses?orgId=org-nordvik')).body).toHaveLength(2);
    expect((await get('/api/courses?orgId=org-fjord')).body).toEqual([]);
    expect((await get('/api/courses/c-101')).body.metadata.code).toBe('MATH-9');
    expect((await get('/api/courses/c-999')).status).toBe(404);
  });

  it('lists upcoming sessions of the given courses, soonest first, up to the limit', async () => {
    const all = (await get('/api/sessions?courseIds=c-101,c-102,c-105')).body as Array<any>;
    expect(all.every((s) => ['c-101', 'c-102', 'c-105'].includes(s.courseId))).toBe(true);
    const starts = all.map((s) => Date.parse(s.startsAt));
    expect(starts).toEqual([...starts].sort((a, b) => a - b));
    expect(starts.every((t) => t > Date.now())).toBe(true);
    expect(all.every((s) => (s.online ? s.room === null : typeof s.room === 'string'))).toBe(true);
    const firstTwo = (await get('/api/sessions?courseIds=c-101,c-102,c-105&limit=2')).body;
    expect(firstTwo).toEqual(all.slice(0, 2));
    expect((await get('/api/sessions/s-1001')).body.room).toBe('204');
    expect((await get('/api/sessions/s-9999')).status).toBe(404);
  });

  it("shapes /api/home for a teacher from the caller's organisation", async () => {
    const { status, body } = await get('/api/home');
    expect(status).toBe(200);
    const sessions = (await get('/api/sessions?courseIds=c-101,c-102,c-103,c-104,c-105&limit=3')).body as Array<any>;
    expect(body).toEqual({
      user: { displayName: 'Ingrid Solberg', role: 'Teacher', avatarUrl: '/media/avatars/ingrid.png' },
      courses: [
        { id: 'c-101', title: 'Mathematics — Year 9', code: 'MATH-9', enrollmentLabel: '24 / 30', enrollmentPercent: 80, status: 'Active' },
        { id: 'c-102', title: 'Norwegian — Year 9', code: 'NOR-9', enrollmentLabel: '28 / 28', enrollmentPercent: 100, status: 'Active' },
        { id: 'c-103', title: 'Programming — Year 10', code: 'PROG-10', enrollmentLabel: '0 / 0', enrollmentPercent: 0, status: 'Draft' },
        { id: 'c-104', title: 'Physics — Year 10', code: 'PHYS-10', enrollmentLabel: '19 / 25', enrollmentPercent: 76, status: 'Archived' },
        { id: 'c-105', title: 'Natural Science — Year 8', code: 'NAT-8', enrollmentLabel: '2 / 3', enrollmentPercent: 67, status: 'Active' },
      ],
      upcomingSessions: [
        { id: 's-1001', title: 'Integration review', startsAt: sessions[0].startsAt, courseTitle: 'Mathematics — Year 9', locationLabel: 'Room 204' },
        { id: 's-1002', title: 'Essay feedback', startsAt: sessions[1].startsAt, courseTitle: 'Norwegian — Year 9', locationLabel: 'Room 112' },
        { id: 's-1003', title: 'Photosynthesis, live', startsAt: sessions[2].startsAt, courseTitle: 'Natural Science — Year 8', locationLabel: 'Online' },
      ],
      notifications: { count: 3 },
      partialFailures: [],
      generatedAt: expect.any(String),
    });
  });

  it('rounds half up (12.5 -> 13) and gives a student without avatar a null avatarUrl', async () => {
    const { body } = await get('/api/home', 'emma');
    expect(body.user).toEqual({ displayName: 'Emma Johansen', role: 'Student', avatarUrl: null });
    expect(body.courses.find((c: any) => c.id === 'c-202')).toMatchObject({ enrollmentLabel: '3 / 24', enrollmentPercent: 13 });
    expect((await get('/api/home', 'kari')).body.user.role).toBe('Administrator');
  });

  it('gives nina, whose organisation has no courses, an empty screen', async () => {
    const { body } = await get('/api/home', 'nina');
    expect(body).toMatchObject({
      user: { displayName: 'Nina Fjeld', role: 'Student', avatarUrl: null },
      courses: [],
      upcomingSessions: [],
      notifications: { count: 0 },
      partialFailures: [],
    });
  });

  it('stamps generatedAt anew on every call, even two at once (the noise a shadow comparison must learn)', async () => {
    const [first, second] = (await Promise.all([get('/api/home'), get('/api/home')])).map((r) => r.body.generatedAt);
    expect(first).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z$/);
    expect(Math.abs(Date.parse(first) - Date.now())).toBeLessThan(1_000); // the wall clock, to the millisecond it was anchored on
    expect(second).not.toBe(first);
  });
});
