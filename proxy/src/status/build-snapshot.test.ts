import { describe, it, expect } from 'vitest';
import { Keyv } from 'keyv';
import pino from 'pino';
import type { RequestState } from '../edge/request-state.ts';
import type { FlagState } from '../flags/types.ts';
import { createCutoff } from '../identity/cutoff.ts';
import { createRegistry } from '../routing/registry.ts';
import { defineRoute, type MigratedRoute } from '../routing/route.ts';
import { createTrafficAccounting, type TrafficAccounting } from './accounting.ts';
import { buildStatusSnapshot, type StatusSnapshot } from './snapshot.ts';
import { DAY, HOUR } from './traffic-buckets.ts';

/** The snapshot from declarations, live flags and counted traffic: the evidence that retires endpoints and the catch-all. */

const NOW = Date.UTC(2027, 1, 10, 12, 0, 0);
const route = (o: Partial<MigratedRoute>) =>
  defineRoute({ id: 'x', method: 'GET', path: '/api/x', flag: 'route.x', owner: 'Team', targetDate: '2027-01-01', handle: async () => ({ body: {} }), ...o });
const registry = createRegistry(
  [
    route({ id: 'home-v2', path: '/api/v2/home', replaces: 'GET /api/home', flag: 'route.home-v2', migratedDate: '2027-01-20', notes: 'Replaces <b>home</b>' }),
    route({ id: 'course', path: '/api/courses/:id', replaces: 'GET /api/courses/:id', flag: 'route.course', migratedDate: '2027-01-20' }),
    route({ id: 'profile', path: '/api/profile', flag: 'route.profile' }),
  ],
  '/_proxy',
);
const FLAGS: Record<string, Partial<FlagState>> = { 'route.home-v2': { rollout: 100 }, 'route.course': { rollout: 100 }, 'route.profile': { rollout: 35, shadow: true } };

function setup(countingSince: number) {
  let t = countingSince;
  const traffic = createTrafficAccounting({ keyv: new Keyv(), storage: 'redis', flushMs: 60_000, carriesSessionCookie: () => false, log: pino({ level: 'silent' }), now: () => t });
  const send = (url: string, at: number, state: Partial<RequestState> = {}) => {
    t = at;
    traffic.record({ correlationId: 'c', startedAt: 0n, method: 'GET', url, servedBy: 'legacy', route: 'catch-all', arrivedWith: 'legacyJwt', ...state, status: 200, seconds: 0.01 });
  };
  const snapshot = async (): Promise<StatusSnapshot> => {
    t = NOW;
    await traffic.flush();
    return buildStatusSnapshot({
      registry,
      flags: { source: 'unleash', state: (name) => ({ name, exists: true, enabled: true, rollout: 0, shadow: false, lastChangedAt: null, ...FLAGS[name] }) },
      traffic: traffic as TrafficAccounting,
      reachability: { check: async () => ({ reachable: true, judgedBy: 'probe', path: '/health', latencyMs: 4, checkedAt: new Date(NOW).toISOString() }) },
      circuits: () => [{ key: 'course:courses.detail', state: 'open' }],
      noisyPaths: () => ['generatedAt'],
      cutoff: createCutoff('2027-03-01T00:00:00Z', () => NOW),
    });
  };
  return { send, snapshot };
}

const byId = (s: StatusSnapshot, id: string) => s.routes.find((r) => r.id === id)!;

describe('the status snapshot', () => {
  it('retires a migrated route whose replaced endpoint has had no traffic for 7 counted days, and says the catch-all can go', async () => {
    const { send, snapshot } = setup(NOW - 9 * DAY);
    send('/api/home', NOW - 8 * DAY); // before the window: does not count against it
    const s = await snapshot();
    expect(byId(s, 'home-v2').state).toMatchObject({ word: 'retired', label: 'retired', retirement: 'GET /api/home received no traffic in the last 7 days' });
    expect(byId(s, 'home-v2').summary).toBe('Retired: all users are served by the new route; GET /api/home received no traffic in the last 7 days.');
    // Same address: its handler still calls the legacy endpoint, so it never retires it.
    expect(byId(s, 'course').state).toMatchObject({ word: 'migrated', retirement: expect.stringMatching(/nothing to retire/) });
    expect(s.legacy.unmigrated).toMatchObject({ total: 0, sevenDaysCounted: true, catchAllRemovable: true, verdict: 'No catch-all traffic for 7 days: the catch-all can go.' });
  });

  it('keeps it migrated while the old endpoint still gets calls, and lists them as unmigrated traffic', async () => {
    const { send, snapshot } = setup(NOW - 9 * DAY);
    send('/api/home', NOW - 2 * DAY);
    send('/api/home', NOW - HOUR);
    send('/api/sessions/s-1001', NOW - HOUR);
    const s = await snapshot();
    expect(byId(s, 'home-v2').state).toMatchObject({ word: 'migrated', retirement: 'GET /api/home still received 2 requests in the last 7 days' });
    expect(byId(s, 'home-v2').summary).toMatch(/Legacy: GET \/api\/home still received 2 requests/);
    expect(s.legacy.unmigrated.endpoints).toEqual([
      { method: 'GET', path: '/api/home', source: 'rule', count: 2, lastSeen: new Date(NOW - HOUR).toISOString(), replacedBy: 'home-v2' },
      { method: 'GET', path: '/api/sessions/:id', source: 'rule', count: 1, lastSeen: new Date(NOW - HOUR).toISOString(), replacedBy: null },
    ]);
    expect(s.legacy.unmigrated.catchAllRemovable).toBe(false);
    expect(s.legacy.unmigrated.verdict).toBe('The catch-all forwarded 3 requests to 2 legacy endpoints in the last 7 days, the latest at 11:00 UTC: it is still needed.');
  });

  it('claims nothing on fewer than 7 counted days', async () => {
    const { snapshot } = setup(NOW - 3 * DAY);
    const s = await snapshot();
    expect(byId(s, 'home-v2').state.word).toBe('migrated');
    expect(s.legacy.unmigrated.catchAllRemovable).toBe(false);
    expect(s.legacy.unmigrated.verdict).toMatch(/^No catch-all traffic since counting began at 2027-02-07 12:00 UTC, but that is less than 7 days: wait until 2027-02-14 12:00 UTC\.$/);
  });

  it('reports health, circuits, the auth window and the counters in words', async () => {
    const { send, snapshot } = setup(NOW - 2 * DAY);
    send('/api/home', NOW - DAY);
    send('/api/profile', NOW - HOUR / 2, { route: 'profile', decision: 'shadow' });
    const s = await snapshot();
    expect(s.legacy.health).toMatchObject({ reachable: true, openCircuits: 1, judgedBy: 'probe', summary: 'Reachable (GET /health answered in 4 ms); 1 of 1 circuits not closed on this instance: course:courses.detail (open).' });
    expect(s.legacy.authWindow.cutoff).toBe('2027-03-01T00:00:00.000Z');
    expect(s.legacy.authWindow.days.map((d) => [d.date, d.legacyJwt])).toEqual([['2027-02-10', 1], ['2027-02-09', 1], ['2027-02-08', 0]]);
    expect(s.legacy.authWindow.summary).toMatch(/^Legacy tokens are accepted until 2027-03-01T00:00:00.000Z \(19 days left\)\. Over the last 3 days, 0% of 2 requests came with a session cookie, 100% with a verified legacy token/);
    expect(s.counters).toMatchObject({ storage: 'redis', description: 'in Redis, summed across 1 instance, since 2027-02-08 12:00 UTC' });
    expect(byId(s, 'profile')).toMatchObject({ state: { label: 'canary 35% + shadow' }, traffic: { hour: { shadow: { requests: 1 } } }, parity: { noisyPaths: ['generatedAt'] } });
    expect(byId(s, 'home-v2').notes).toBe('Replaces <b>home</b>');
    expect(JSON.parse(JSON.stringify(s))).toEqual(s); // plain JSON all the way down
  });
});
