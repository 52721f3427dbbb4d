import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { startStack, type Stack } from '../test-support/stack.ts';
import type { RouteStatus, StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { passkeySession, STATUS_TOKEN as TOKEN, until } from './status-support.ts';

/**
 * The status counters after a scripted mix of traffic through the whole proxy: every request
 * sent is counted once, on the right route and side, with its 5xx; the catch-all's requests
 * appear templated; the dual-auth shares match how the requests were sent.
 */
let stack: Stack;
let snapshot: StatusSnapshot;

beforeAll(async () => {
  stack = await startStack({
    env: { STATUS_TOKEN: TOKEN },
    legacy: { faultHeaders: true },
    flags: { 'route.dashboard': { shadow: true }, 'route.course-detail': { rollout: 100 }, 'route.enrollments': {} },
  });
});
afterAll(() => stack?.stop());

async function send(path: string, headers: Record<string, string> = {}, init: RequestInit = {}): Promise<number> {
  const res = await fetch(`${stack.proxyUrl}${path}`, { ...init, headers });
  await res.arrayBuffer();
  return res.status;
}

const route = (id: string): RouteStatus => snapshot.routes.find((r) => r.id === id)!;

describe('counters after a scripted mix of traffic', () => {
  beforeAll(async () => {
    const bearer = { authorization: `Bearer ${stack.legacy.issueToken('ingrid')}` };
    const cookie = { cookie: (await passkeySession(stack, 'emma')).cookie };

    // Catch-all: 12 requests (2 of them 5xx), to 5 legacy endpoints.
    expect(await send('/api/sessions/s-1001', bearer)).toBe(200);
    expect(await send('/api/sessions/s-1001?expand=course', bearer)).toBe(200);
    expect(await send('/api/sessions/s-1002')).toBe(401); // the legacy API wants a caller
    expect(await send('/api/users/u-ingrid/profile', bearer)).toBe(200);
    expect(await send('/api/users/u-ola/profile', bearer)).toBe(200);
    expect(await send('/api/home', bearer)).toBe(200);
    expect(await send('/api/home', bearer)).toBe(200);
    expect(await send('/api/courses?orgId=org-uninett', { ...bearer, 'x-fault-status': '503' })).toBe(503);
    expect(await send('/api/courses?orgId=org-uninett', { ...bearer, 'x-fault-status': '500' })).toBe(500);
    for (let i = 0; i < 3; i++) expect(await send('/api/users/profile', cookie)).toBe(200);

    // dashboard in shadow: 4 answered by legacy and compared.
    for (let i = 0; i < 4; i++) expect(await send('/api/dashboard', bearer)).toBe(200);
    // enrollments proxied: 2 writes decided "legacy".
    for (let i = 0; i < 2; i++) {
      expect(await send('/api/enrollments', { ...bearer, 'content-type': 'application/json' }, { method: 'POST', body: JSON.stringify({ courseId: 'c-101' }) })).toBeLessThan(500);
    }
    // course-detail migrated: 3 served, 1 anonymous refused, then 2 that fail upstream (5xx).
    for (let i = 0; i < 3; i++) expect(await send('/api/courses/c-101', { ...bearer, 'x-correlation-id': `mix-course-${i}` })).toBe(200);
    expect(await send('/api/courses/c-101', { accept: 'application/json' })).toBe(401);
    stack.legacy.setFaults([{ method: 'GET', path: '^/api/courses/c-105$', status: 500 }]);
    for (let i = 0; i < 2; i++) expect(await send('/api/courses/c-105', bearer)).toBeGreaterThanOrEqual(500);
    stack.legacy.setFaults([]);

    // Shadow comparisons finish after the responses: wait for all four.
    await until(() => {
      const s = stack.proxy.shadowStats.snapshot('dashboard');
      return s.match + s.mismatch + s.error + s.skipped === 4;
    });
    const res = await fetch(`${stack.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    snapshot = (await res.json()) as StatusSnapshot;
  }, 60_000);

  it('counts each migrated route by side, with 5xx and refusals', () => {
    const zero = { requests: 0, errors5xx: 0, errorRate: null, p95Ms: null };
    expect(route('dashboard').traffic.hour).toMatchObject({ legacy: zero, migrated: zero, shadow: { requests: 4, errors5xx: 0, errorRate: 0 }, refused: 0 });
    expect(route('enrollments').traffic.hour).toMatchObject({ legacy: { requests: 2, errors5xx: 0 }, shadow: zero, migrated: zero });
    expect(route('course-detail').traffic.hour).toMatchObject({ legacy: zero, shadow: zero, migrated: { requests: 5, errors5xx: 2, errorRate: 0.4 }, refused: 1 });
    expect(route('course-detail').traffic.hour.migrated.p95Ms).toBeGreaterThan(0);
    // Every window holds the same (everything happened within the hour).
    for (const r of snapshot.routes) expect(r.traffic.week).toEqual(r.traffic.hour);
  });

  it('states each route in words from the live flags', () => {
    expect(route('dashboard').state).toMatchObject({ word: 'shadow', label: 'shadow' });
    expect(route('dashboard').summary).toMatch(/^Shadow only: the legacy API answers everyone since at least \d\d:\d\d UTC; 4 compared in the last hour, too few to judge/);
    expect(route('enrollments').state.label).toBe('proxied');
    expect(route('course-detail').state).toMatchObject({ word: 'migrated', rollout: 100 });
    // The shadow parity is the same count the comparison itself kept.
    const own = stack.proxy.shadowStats.snapshot('dashboard');
    expect(route('dashboard').parity.windows.hour).toMatchObject({ match: own.match, mismatch: own.mismatch, errors: own.error, skipped: own.skipped, compared: own.match + own.mismatch });
  });

  it('lists the catch-all traffic by templated endpoint, with counts and last seen', () => {
    const { unmigrated, catchAll } = snapshot.legacy;
    expect(catchAll.hour).toMatchObject({ requests: 12, errors5xx: 2 });
    expect(unmigrated.endpoints.map((e) => [`${e.method} ${e.path}`, e.count, e.replacedBy])).toEqual([
      ['GET /api/sessions/:id', 3, null],
      ['GET /api/users/profile', 3, null],
      ['GET /api/courses', 2, null],
      ['GET /api/home', 2, 'dashboard'],
      ['GET /api/users/:id/profile', 2, null],
    ]);
    for (const e of unmigrated.endpoints) expect(Date.now() - Date.parse(e.lastSeen)).toBeLessThan(120_000);
    expect(unmigrated).toMatchObject({ total: 12, catchAllRemovable: false, sevenDaysCounted: false });
    expect(unmigrated.verdict).toMatch(/^The catch-all forwarded 12 requests to 5 legacy endpoints in the last 7 days \(counted on this instance only\)/);
  });

  it('shares the requests of the day by how they authenticated', () => {
    const today = snapshot.legacy.authWindow.days[0]!;
    // 3 with the session cookie; 19 with a legacy JWT; the 2 anonymous ones.
    expect(today).toMatchObject({ date: new Date().toISOString().slice(0, 10), session: 3, legacyJwt: 19, other: 2, total: 24 });
    expect(today.sessionShare).toBeCloseTo(3 / 24);
    expect(snapshot.legacy.authWindow.cutoff).toBeNull();
  });

  it('says where the counters live', () => {
    expect(snapshot.counters).toMatchObject({ storage: 'memory', instances: [{ self: true }] });
    expect(snapshot.counters.description).toMatch(/^in memory on this instance only/);
  });

  it('finds a request by its correlation id: route, side, status and timing', async () => {
    const res = await fetch(`${stack.proxyUrl}/_proxy/status/requests/mix-course-1`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    const found = await res.json();
    expect(found).toMatchObject({ correlationId: 'mix-course-1', route: 'course-detail', servedBy: 'migrated', side: 'migrated', status: 200, method: 'GET', path: '/api/courses/c-101', instance: snapshot.instance });
    expect(found.durationMs).toBeGreaterThan(0);

    const unknown = await fetch(`${stack.proxyUrl}/_proxy/status/requests/never-seen`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');

    const page = await (await fetch(`${stack.proxyUrl}/_proxy/status?correlationId=mix-course-1`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(page).toMatch(/<dt>Served by<\/dt><dd>the new route<\/dd>\s*<dt>Route<\/dt><dd>course-detail<\/dd>/);
  });

  it('does not count its own status requests as traffic', async () => {
    await fetch(`${stack.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${TOKEN}` } });
    const again = (await (await fetch(`${stack.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${TOKEN}` } })).json()) as StatusSnapshot;
    expect(again.legacy.authWindow.days[0]!.total).toBe(24);
    expect(again.legacy.catchAll.hour.requests).toBe(12);
  });
});
