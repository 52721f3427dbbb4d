import { describe, it, expect } from 'vitest';
import type { IncomingMessage } from 'node:http';
import { Keyv } from 'keyv';
import pino from 'pino';
import type { FinishedRequest, RequestState } from '../edge/request-state.ts';
import { createTrafficAccounting, type TrafficAccounting } from './accounting.ts';
import { createEndpointTemplates } from './path-template.ts';
import { DAY, HOUR, MINUTE } from './traffic-buckets.ts';

const log = pino({ level: 'silent' });
const NOW = Date.UTC(2027, 0, 20, 12, 30, 0);

function clock(start: number) {
  let t = start;
  return { now: () => t, set: (v: number) => void (t = v) };
}

function accounting(keyv: Keyv, now: () => number, storage: 'memory' | 'redis' = 'memory'): TrafficAccounting {
  return createTrafficAccounting({
    keyv,
    storage,
    flushMs: 60_000,
    carriesSessionCookie: (req) => (req.headers.cookie ?? '').includes('sp_session='),
    log,
    now,
  });
}

let seq = 0;
function request(a: TrafficAccounting, o: { route?: string; servedBy?: RequestState['servedBy']; decision?: RequestState['decision']; status?: number; ms?: number; url?: string; method?: string; headers?: Record<string, string>; id?: string }) {
  const req = { method: o.method ?? 'GET', url: o.url ?? '/api/x', headers: o.headers ?? {} } as unknown as IncomingMessage;
  a.record({
    correlationId: o.id ?? `req-${++seq}`,
    startedAt: 0n,
    method: req.method!,
    url: req.url!,
    servedBy: o.servedBy ?? 'legacy',
    route: o.route ?? 'catch-all',
    ...(o.decision ? { decision: o.decision } : {}),
    arrivedWith: a.arrivedWith(req),
    status: o.status ?? 200,
    seconds: (o.ms ?? 10) / 1000,
  });
}

describe('traffic accounting', () => {
  it('counts each side of a route, its 5xx and its p95; own endpoints are left out', async () => {
    const c = clock(NOW);
    const a = accounting(new Keyv(), c.now);
    for (let i = 0; i < 4; i++) request(a, { route: 'dashboard', decision: 'shadow', ms: 40 });
    for (let i = 0; i < 3; i++) request(a, { route: 'dashboard', decision: 'legacy', ms: 30 });
    for (let i = 0; i < 5; i++) request(a, { route: 'dashboard', servedBy: 'migrated', decision: 'migrated', ms: 20, status: i < 2 ? 502 : 200 });
    request(a, { route: 'dashboard', decision: 'migrated', status: 401 }); // no caller: refused before serving
    request(a, { route: 'dashboard', status: 403 }); // CSRF: refused before the flags were asked
    request(a, { route: 'own', servedBy: 'own', url: '/_proxy/health/live' });
    await a.flush();
    const view = await a.view();
    const d = view.windows.hour.get('dashboard')!;
    expect(d.shadow!.n).toBe(4);
    expect(d.legacy!.n).toBe(3);
    expect(d.migrated).toMatchObject({ n: 5, e5: 2 });
    expect(d.refused).toBe(2);
    expect(view.windows.hour.has('own')).toBe(false);
    expect(view.days[0]!.auth).toEqual({ session: 0, legacyJwt: 0, unverified: 0, other: 14 });
  });

  it('keeps the last hour, day and week apart and drops what is older', async () => {
    const c = clock(NOW - 10 * DAY);
    const keyv = new Keyv();
    const a = accounting(keyv, c.now);
    for (const [ago, n] of [[8 * DAY, 8], [3 * DAY, 4], [5 * HOUR, 2], [30 * MINUTE, 1]] as const) {
      c.set(NOW - ago);
      for (let i = 0; i < n; i++) request(a, { url: `/api/sessions/s-${i}` });
      await a.flush();
    }
    c.set(NOW);
    const view = await a.view();
    expect(view.windows.hour.get('catch-all')!.legacy!.n).toBe(1);
    expect(view.windows.day.get('catch-all')!.legacy!.n).toBe(3);
    expect(view.windows.week.get('catch-all')!.legacy!.n).toBe(7);
    // Per UTC day: the catch-all's endpoints and how callers authenticated.
    const day = (t: number) => view.days.find((d) => d.start === t - (t % DAY))!;
    expect(day(NOW - 3 * DAY).endpoints.get('GET /api/sessions/:id')).toEqual({ n: 4, last: NOW - 3 * DAY });
    expect(day(NOW - 8 * DAY).endpoints.get('GET /api/sessions/:id')!.n).toBe(8);
    expect(view.countingSince).toBe(NOW - 10 * DAY);
  });

  it('keeps a bounded number of distinct catch-all endpoints a day; the rest are counted together', async () => {
    const a = accounting(new Keyv(), clock(NOW).now);
    const word = (i: number) => Array.from(String(i), (d) => 'abcdefghij'[Number(d)]).join('');
    // Not after a collection (`/api/things/...` would be learned as one endpoint): 600 endpoints.
    for (let i = 0; i < 600; i++) request(a, { url: `/api/${word(i)}` });
    await a.flush();
    const endpoints = (await a.view()).days[0]!.endpoints;
    expect(endpoints.size).toBe(501);
    expect(endpoints.get('OTHER (more endpoints than the status page keeps)')!.n).toBe(100);
    expect([...endpoints.values()].reduce((sum, e) => sum + e.n, 0)).toBe(600);
  });

  it('groups entity paths into one row at read time, across instances, keeping where each template came from', async () => {
    const keyv = new Keyv();
    const c = clock(NOW);
    const documented = [{ path: '/api/articles/feed', methods: ['GET'] }];
    const make = () =>
      createTrafficAccounting({ keyv, storage: 'redis', flushMs: 60_000, carriesSessionCookie: () => false, log, now: c.now, templates: createEndpointTemplates({ documented, learnThreshold: 20 }) });
    const [a, b] = [make(), make()];
    // Fifteen distinct usernames each: neither instance alone passes the threshold...
    for (let i = 0; i < 15; i++) request(a, { url: `/api/profiles/user${String.fromCharCode(97 + i)}` });
    for (let i = 0; i < 15; i++) request(b, { url: `/api/profiles/member${String.fromCharCode(97 + i)}` });
    request(a, { url: '/api/articles/feed' });
    await Promise.all([a.flush(), b.flush()]);
    await Promise.all([a.flush(), b.flush()]);
    // ...together they do: one row, learned; the documented path keeps its source through the store.
    const rows = Object.fromEntries([...(await a.view()).days[0]!.endpoints].map(([k, v]) => [k, v]));
    expect(rows).toEqual({
      'GET /api/profiles/:id': { n: 30, last: NOW, source: 'learned' },
      'GET /api/articles/feed': { n: 1, last: NOW, source: 'openapi' },
    });
  });

  it('classifies on arrival from the raw headers: a legacy token is unverified until it is checked', async () => {
    const a = accounting(new Keyv(), clock(NOW).now);
    request(a, { headers: { cookie: 'theme=dark; sp_session=s%3Aabc' } });
    request(a, { headers: { cookie: 'sp_session=s%3Aabc', authorization: 'Bearer ey.x.y' } });
    request(a, { headers: { authorization: 'Bearer ey.x.y' } });
    request(a, { headers: { authorization: 'bearer  ey.x.y' } });
    request(a, { headers: { authorization: 'Basic dTpw' } });
    request(a, {});
    await a.flush();
    expect((await a.view()).days[0]!.auth).toEqual({ session: 2, legacyJwt: 0, unverified: 2, other: 2 });
    // As the request arrived, not as the pipeline left it (our cookie swapped for a minted bearer).
    const arrived = { method: 'GET', url: '/x', headers: { cookie: 'sp_session=s%3Aabc' } } as unknown as IncomingMessage;
    const arrivedWith = a.arrivedWith(arrived);
    arrived.headers = { authorization: 'Bearer minted' };
    a.record({ correlationId: 'c', startedAt: 0n, method: 'GET', url: '/x', servedBy: 'legacy', route: 'catch-all', arrivedWith, status: 200, seconds: 0.01 });
    await a.flush();
    expect((await a.view()).days[0]!.auth.session).toBe(3);
  });

  it('counts a token checked on the side as what it verified to, once the check settles', async () => {
    const a = createTrafficAccounting({
      keyv: new Keyv(),
      storage: 'memory',
      flushMs: 60_000,
      carriesSessionCookie: () => false,
      carriesLegacyToken: (req) => (req.headers.authorization ?? '').startsWith('Token '),
      log,
      now: clock(NOW).now,
    });
    const token = { method: 'GET', url: '/x', headers: { authorization: 'Token abc' } } as unknown as IncomingMessage;
    const bearer = { method: 'GET', url: '/x', headers: { authorization: 'Bearer abc' } } as unknown as IncomingMessage;
    expect(a.arrivedWith(token)).toBe('unverified');
    expect(a.arrivedWith(bearer)).toBe('other'); // not where this legacy API's token travels
    // The edge records the request's own state record: the check settles into it after the response.
    let verified!: () => void;
    const done: FinishedRequest = { correlationId: 'v', startedAt: 0n, method: 'GET', url: '/x', servedBy: 'legacy', route: 'catch-all', arrivedWith: 'unverified', status: 200, seconds: 0.01 };
    done.verifying = new Promise<void>((resolve) => (verified = resolve)).then(() => void (done.arrivedWith = 'legacyJwt'));
    a.record(done);
    const flushed = a.flush(); // waits for the check
    verified();
    await flushed;
    expect((await a.view()).days[0]!.auth).toMatchObject({ legacyJwt: 1, unverified: 0 });
  });

  it('adds up instances that share a store, and survives a restart', async () => {
    const keyv = new Keyv();
    const c = clock(NOW);
    const a = accounting(keyv, c.now, 'redis');
    const b = accounting(keyv, c.now, 'redis');
    for (let i = 0; i < 3; i++) request(a, { url: '/api/sessions/s-1', ms: 5 });
    for (let i = 0; i < 2; i++) request(b, { url: '/api/sessions/s-2', ms: 500 });
    await Promise.all([a.flush(), b.flush()]); // concurrent index rewrites: one may lose the other...
    await Promise.all([a.flush(), b.flush()]); // ...and each puts itself back at its next flush
    for (const view of [await a.view(), await b.view()]) {
      expect(view.instances.map((i) => i.id).sort()).toEqual([a.instanceId, b.instanceId].sort());
      expect(view.windows.hour.get('catch-all')!.legacy!.n).toBe(5);
      expect(view.days[0]!.endpoints.get('GET /api/sessions/:id')!.n).toBe(5);
    }

    await a.close();
    c.set(NOW + 10 * MINUTE);
    const a2 = accounting(keyv, c.now, 'redis');
    request(a2, { url: '/api/sessions/s-3' });
    await a2.flush();
    const view = await a2.view();
    expect(view.instances).toHaveLength(3);
    expect(view.windows.hour.get('catch-all')!.legacy!.n).toBe(6);
    expect(view.countingSince).toBe(NOW);
  });

  it('puts back index entries lost to a failed read or a racing writer, stopped instances included', async () => {
    const keyv = new Keyv();
    const c = clock(NOW);
    const a = accounting(keyv, c.now, 'redis');
    const b = accounting(keyv, c.now, 'redis');
    request(a, {});
    request(b, {});
    await a.flush();
    await b.close(); // b is gone for good; its counters still count
    await a.flush();
    // A racing writer that never saw a or b rewrites the index...
    await keyv.set('instances', { stranger: { startedAt: NOW, lastFlushAt: NOW } });
    await a.flush();
    // ...and a read that fails looks like a missing key.
    const get = keyv.get.bind(keyv);
    keyv.get = (async (key: string) => (key === 'instances' ? undefined : get(key))) as typeof keyv.get;
    await a.flush();
    keyv.get = get;
    const fresh = accounting(keyv, c.now, 'redis');
    const view = await fresh.view();
    expect(view.instances.map((i) => i.id).sort()).toEqual([a.instanceId, b.instanceId, fresh.instanceId, 'stranger'].sort());
    expect(view.windows.hour.get('catch-all')!.legacy!.n).toBe(2);
  });

  it('finds a recent request by correlation id in memory, and from another instance once flushed', async () => {
    // Two instances share a store only with Redis; a Keyv Map stands in for it here.
    const keyv = new Keyv();
    const a = accounting(keyv, clock(NOW).now, 'redis');
    const b = accounting(keyv, clock(NOW).now, 'redis');
    request(a, { id: 'corr-1', route: 'course-detail', servedBy: 'migrated', decision: 'migrated', status: 200, ms: 12.34, url: '/api/courses/c-101?x=secret' });
    expect(await a.lookup('corr-1')).toMatchObject({ route: 'course-detail', side: 'migrated', status: 200, durationMs: 12.3, path: '/api/courses/c-101', instance: a.instanceId });
    expect(await b.lookup('corr-1')).toBeNull();
    await a.flush();
    expect(await b.lookup('corr-1')).toMatchObject({ route: 'course-detail', side: 'migrated', instance: a.instanceId, at: new Date(NOW).toISOString() });
    expect(await b.lookup('nobody')).toBeNull();
  });

  it('in memory, recent requests stay in the bounded ring: the store does not keep a copy of each', async () => {
    const keyv = new Keyv();
    const a = accounting(keyv, clock(NOW).now, 'memory');
    for (let i = 0; i < 50; i++) request(a, { id: `mem-${i}`, route: 'catch-all', servedBy: 'legacy', status: 200, ms: 1, url: '/api/x' });
    await a.flush();
    expect(await a.lookup('mem-7')).toMatchObject({ route: 'catch-all' });
    expect(await keyv.get('req:mem-7')).toBeUndefined();
  });

  it('keeps the latest shadow mismatches with their field paths, across instances', async () => {
    const keyv = new Keyv();
    const c = clock(NOW);
    const a = accounting(keyv, c.now);
    const b = accounting(keyv, c.now);
    a.recordShadow('dashboard', { result: 'match', correlationId: 'm1' });
    a.recordShadow('dashboard', { result: 'mismatch', correlationId: 'x1', differences: [{ path: 'user.role', kind: 'changed', legacy: 'string', migrated: 'string' }] });
    c.set(NOW + 1000);
    b.recordShadow('dashboard', {
      result: 'mismatch',
      correlationId: 'x2',
      differences: [
        { path: 'courses[0].title', kind: 'changed', legacy: 'string', migrated: 'string' },
        { path: 'courses[0].title', kind: 'type', legacy: 'string', migrated: 'number' },
      ],
    });
    b.recordShadow('dashboard', { result: 'skipped', reason: 'over concurrency cap' });
    await Promise.all([a.flush(), b.flush()]);
    await Promise.all([a.flush(), b.flush()]);
    const view = await a.view();
    expect(view.windows.hour.get('dashboard')!.parity).toEqual({ match: 1, mismatch: 2, error: 0, skipped: 1 });
    expect(view.mismatches['dashboard']!.map((m) => [m.correlationId, m.paths, m.differenceCount])).toEqual([
      ['x2', ['courses[0].title'], 2],
      ['x1', ['user.role'], 1],
    ]);
  });

  it('fails open: a store that is away costs no request, and what was counted is written once it is back', async () => {
    const keyv = new Keyv();
    let down = true;
    const setMany = keyv.setMany.bind(keyv);
    keyv.setMany = (async (entries: Parameters<typeof setMany>[0]) => (down ? entries.map(() => false) : setMany(entries))) as typeof keyv.setMany;
    const a = accounting(keyv, clock(NOW).now);
    request(a, { url: '/api/home' });
    await expect(a.flush()).resolves.toBeUndefined();
    request(a, { url: '/api/home' });
    down = false;
    await a.flush();
    expect((await a.view()).windows.hour.get('catch-all')!.legacy!.n).toBe(2);
  });
});
