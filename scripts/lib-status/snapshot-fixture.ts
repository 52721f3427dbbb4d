import { GUARD_DEFAULTS } from '../../proxy/src/canary/guard-config.ts';
import type { RouteGuardStatus, RouteStatus, RouteTraffic, SideTraffic, StatusSnapshot, TrafficWindow } from '../../proxy/src/status/snapshot.ts';

/** For tests: a status snapshot as a proxy with a shadowed dashboard and a canary course page would answer. */

const side = (requests: number, errors5xx: number, p95Ms: number | null): SideTraffic => ({
  requests,
  errors5xx,
  errorRate: requests ? errors5xx / requests : null,
  p95Ms: requests ? p95Ms : null,
});
const none = side(0, 0, null);
const traffic = (legacy: SideTraffic, shadow: SideTraffic, migrated: SideTraffic): RouteTraffic => ({
  legacy,
  shadow,
  migrated,
  answeredByLegacy: side(legacy.requests + shadow.requests, legacy.errors5xx + shadow.errors5xx, Math.max(legacy.p95Ms ?? 0, shadow.p95Ms ?? 0)),
  refused: 0,
});
const same = <T>(value: T): Record<TrafficWindow, T> => ({ hour: value, day: value, week: value });
const parity = (compared: number, match: number) => ({ compared, match, mismatch: compared - match, errors: 0, skipped: 0, matchRate: compared ? match / compared : null });

const watching: RouteGuardStatus = { settings: GUARD_DEFAULTS, watches: 'Rolls the canary back when ...', window: null, rollback: null, events: [], shared: true };

const route = (over: Partial<RouteStatus> & Pick<RouteStatus, 'id' | 'method' | 'path' | 'flag' | 'state' | 'traffic'>): RouteStatus => ({
  replaces: null,
  owner: 'Course team',
  targetDate: '2027-01-15',
  migratedDate: null,
  notes: null,
  parity: { windows: same(parity(0, 0)), recentMismatches: [], noisyPaths: [] },
  guard: watching,
  summary: '',
  ...over,
});

export const snapshotFixture: StatusSnapshot = {
  version: 1,
  generatedAt: '2027-01-10T09:30:12.000Z',
  instance: 'proxy-a1',
  counters: { storage: 'redis', description: 'in Redis, summed across 2 instances, since 2027-01-03 08:00 UTC', instances: [], since: '2027-01-03T08:00:00.000Z', flushIntervalMs: 5000 },
  windows: {
    hour: { from: '2027-01-10T08:31:00.000Z', to: '2027-01-10T09:30:12.000Z', label: 'last hour' },
    day: { from: '2027-01-09T10:00:00.000Z', to: '2027-01-10T09:30:12.000Z', label: 'last 24 hours' },
    week: { from: '2027-01-03T10:00:00.000Z', to: '2027-01-10T09:30:12.000Z', label: 'last 7 days' },
  },
  flags: { source: 'unleash' },
  routes: [
    route({
      id: 'dashboard',
      method: 'GET',
      path: '/api/dashboard',
      replaces: 'GET /api/home',
      flag: 'route.dashboard',
      state: { word: 'shadow', label: 'shadow', rollout: 0, shadow: true, flagExists: true, flagEnabled: true, lastChangedAt: '2027-01-08T10:00:00.000Z', unchangedSinceStartup: false },
      traffic: { hour: traffic(none, side(1204, 3, 41.2), none), day: traffic(none, side(20_000, 10, 44), none), week: traffic(none, side(90_000, 40, 45), none) },
      parity: {
        windows: { hour: parity(1180, 1176), day: parity(19_000, 18_950), week: parity(85_000, 84_900) },
        recentMismatches: [{ at: '2027-01-10T09:29:00.000Z', correlationId: 'c-1', paths: ['courses[*].status'], differenceCount: 1 }],
        noisyPaths: ['generatedAt'],
      },
    }),
    route({
      id: 'course-detail',
      method: 'GET',
      path: '/api/courses/:id',
      replaces: 'GET /api/courses/:id',
      flag: 'route.course-detail',
      owner: 'Catalogue team',
      state: { word: 'canary', label: 'canary 25%', rollout: 25, shadow: false, flagExists: true, flagEnabled: true, lastChangedAt: null, unchangedSinceStartup: false },
      traffic: same(traffic(side(300, 0, 30.5), none, side(100, 2, 61))),
    }),
    route({
      id: 'enrollments',
      method: 'POST',
      path: '/api/enrollments',
      flag: 'route.enrollments',
      owner: 'Enrolment team',
      state: { word: 'rolled-back', label: 'rolled back from canary 50%', rollout: 50, shadow: false, flagExists: true, flagEnabled: true, lastChangedAt: null, unchangedSinceStartup: false },
      traffic: same(traffic(side(140, 0, 40), none, side(60, 15, 52))),
      guard: {
        ...watching,
        rollback: {
          at: '2027-01-10T09:02:00.000Z',
          reason: 'errors',
          detail: '5xx 25% against legacy 0% over 120 requests (60 on the new route)',
          flag: { name: 'route.enrollments', enabled: true, rollout: 50 },
          instance: 'proxy-a1',
          shadowSince: { match: 0, mismatch: 0, failed: 0 },
          text: 'rolled back automatically at 09:02 UTC: 5xx 25% against legacy 0% over 120 requests (60 on the new route)',
          recovery: 'its recovery cannot be seen: POST requests are never shadowed',
        },
      },
    }),
  ],
  legacy: {
    health: { reachable: true, judgedBy: 'probe', path: '/health', latencyMs: 4, checkedAt: '2027-01-10T09:30:11.000Z', error: null, circuits: [], openCircuits: 0, summary: 'Reachable (4 ms); all 6 circuits closed on this instance.' },
    endpoints: [
      {
        key: 'dashboard:users.profile',
        route: 'dashboard',
        endpoint: 'users.profile',
        calls: 40,
        outcomes: { ok: 21, 'bulkhead-rejected': 19 },
        errors: 19,
        p95Ms: 120,
        retries: 3,
        breaker: { state: 'closed', transitions: 0, lastChangedAt: null },
        bulkheadRejections: 19,
        cache: { hits: 10, misses: 40, hitRate: 0.2 },
      },
    ],
    catchAll: same(side(5400, 12, 88)),
    unmigrated: {
      since: '2027-01-03T00:00:00.000Z',
      endpoints: Array.from({ length: 12 }, (_, i) => ({
        method: 'GET',
        path: i === 0 ? '/api/home' : `/api/endpoint-${String(i).padStart(2, '0')}`,
        source: 'rule' as const,
        count: 1000 - i * 50,
        lastSeen: '2027-01-10T09:29:59.000Z',
        replacedBy: i === 0 ? 'dashboard' : null,
      })),
      total: 8700,
      lastSeen: '2027-01-10T09:29:59.000Z',
      sevenDaysCounted: true,
      catchAllRemovable: false,
      verdict: 'The catch-all forwarded 8,700 requests to 12 legacy endpoints in the last 7 days, the latest at 09:29 UTC: it is still needed.',
    },
    authWindow: { cutoff: null, cutoffPassed: false, days: [], summary: 'No cutoff is set: legacy JWTs are accepted with no end date. No requests counted yet.' },
  },
};
