import type { LegacyReachability } from '../health/legacy-reachability.ts';
import type { Flags } from '../flags/index.ts';
import type { Cutoff } from '../identity/cutoff.ts';
import type { CanaryGuard, RouteGuardView } from '../canary/canary-guard.ts';
import { resolveGuard } from '../canary/guard-config.ts';
import type { EndpointFigures } from '../legacy/endpoint-figures.ts';
import type { BreakerState } from '../legacy/endpoint-pipeline.ts';
import type { Registry } from '../routing/registry.ts';
import type { TrafficAccounting, TrafficView } from './accounting.ts';
import { count, when } from './format.ts';
import { quantileMs, upperBoundMs, BUCKET_COUNT, newHistogram, addHistogram } from './histogram.ts';
import { guardStatus } from './guard-section.ts';
import { authWindow, legacyHealth, unmigratedTraffic } from './legacy-section.ts';
import { rolledBackState, routeState } from './route-state.ts';
import type { ParityWindow, RouteStatus, RouteTraffic, SideTraffic, StatusSnapshot, TrafficWindow } from './snapshot.ts';
import { TRAFFIC_WINDOWS } from './snapshot.ts';
import { summaryLine } from './summary-line.ts';
import { DAY, newRouteAgg, type RouteAgg, type SideAgg } from './traffic-buckets.ts';

export interface StatusSources {
  registry: Pick<Registry, 'routes'>;
  flags: Pick<Flags, 'state' | 'source'>;
  traffic: Pick<TrafficAccounting, 'view' | 'instanceId' | 'storage' | 'flushMs' | 'startedAt'>;
  /** The legacy API's reachability (probe or traffic, LEGACY_HEALTH_PATH). */
  reachability: Pick<LegacyReachability, 'check'>;
  /** The legacy client's breakers (LegacyClient.health). */
  circuits: () => Array<{ key: string; state: BreakerState }>;
  /** Noise the shadow comparison learned per route (ShadowStats.snapshot(id).noisyPaths). */
  noisyPaths: (routeId: string) => string[];
  cutoff: Cutoff;
  /** The canary guard (its rollbacks, history and windows); without it, each route's declared settings only. */
  guard?: Pick<CanaryGuard, 'view'>;
  /** What the legacy client's policies did per (route, endpoint) (LegacyClient.endpoints). */
  endpoints?: () => EndpointFigures[];
}

const WINDOW_LABELS: Record<TrafficWindow, string> = { hour: 'last hour', day: 'last 24 hours', week: 'last 7 days' };
/** 88 s: histogram values beyond the last finite bucket are reported as this. */
const P95_CAP = upperBoundMs(BUCKET_COUNT - 2);

/**
 * Everything the status page shows, as plain JSON: route declarations, live flag states,
 * every instance's counters added up, the legacy API's health, unmigrated traffic, and the
 * dual-auth window. Flush this instance first (accounting.flush()) for its latest numbers.
 */
export async function buildStatusSnapshot(src: StatusSources): Promise<StatusSnapshot> {
  const [view, health, guards] = await Promise.all([
    src.traffic.view(),
    legacyHealth(src.reachability, src.circuits()),
    Promise.all(src.registry.routes.map(({ route }) => src.guard?.view(route.id) ?? declaredOnly(route.guard))),
  ]);
  const now = view.now;
  const sevenDaysCounted = view.countingSince <= now - 7 * DAY;
  const unmigrated = unmigratedTraffic(view, src.registry.routes, sevenDaysCounted, src.traffic.storage);

  const routes: RouteStatus[] = src.registry.routes.map(({ route, replaces }, i) => {
    const traffic = perWindow((w) => routeTraffic(view.windows[w].get(route.id)));
    const parity = perWindow((w) => parityOf(view.windows[w].get(route.id)));
    const replacedElsewhere = replaces ? `${replaces.method} ${replaces.pattern.source}` : null;
    const guard = guardStatus(guards[i]!, route.method, now);
    const flagState = routeState(src.flags.state(route.flag), {
      migratedDate: route.migratedDate,
      replacedElsewhere,
      legacyAnsweredLastWeek: traffic.week.answeredByLegacy.requests,
      replacedEndpointLastWeek: unmigrated.endpoints.filter((e) => e.replacedBy === route.id).reduce((sum, e) => sum + e.count, 0),
      sevenDaysCounted,
    }, src.traffic.startedAt);
    const state = guard.rollback ? rolledBackState(flagState) : flagState;
    const recentMismatches = view.mismatches[route.id] ?? [];
    return {
      id: route.id,
      method: route.method,
      path: route.path,
      replaces: route.replaces ?? null,
      flag: route.flag,
      owner: route.owner,
      targetDate: route.targetDate,
      migratedDate: route.migratedDate ?? null,
      notes: route.notes ?? null,
      state,
      traffic,
      parity: { windows: parity, recentMismatches, noisyPaths: src.noisyPaths(route.id) },
      guard,
      summary: summaryLine({
        method: route.method,
        flag: route.flag,
        state,
        traffic,
        parity,
        latestMismatchPaths: recentMismatches[0]?.paths ?? [],
        rollback: guard.rollback,
        now,
      }),
    };
  });

  return {
    version: 1,
    generatedAt: new Date(now).toISOString(),
    instance: src.traffic.instanceId,
    counters: countersInfo(view, src.traffic.storage, src.traffic.flushMs),
    windows: perWindow((w) => ({ from: new Date(view.windowStarts[w]).toISOString(), to: new Date(now).toISOString(), label: WINDOW_LABELS[w] })),
    flags: { source: src.flags.source },
    routes,
    legacy: {
      health,
      endpoints: src.endpoints?.() ?? [],
      catchAll: perWindow((w) => sideTraffic(view.windows[w].get('catch-all')?.legacy ?? null)),
      unmigrated,
      authWindow: authWindow(view, src.cutoff),
    },
  };
}

function declaredOnly(declaration: Parameters<typeof resolveGuard>[0]): RouteGuardView {
  return { settings: resolveGuard(declaration), window: null, rollback: null, events: [], shared: true };
}

function perWindow<T>(f: (w: TrafficWindow) => T): Record<TrafficWindow, T> {
  return Object.fromEntries(TRAFFIC_WINDOWS.map((w) => [w, f(w)])) as Record<TrafficWindow, T>;
}

function routeTraffic(agg: RouteAgg | undefined): RouteTraffic {
  const a = agg ?? newRouteAgg();
  const answered: SideAgg = { n: 0, e5: 0, hist: newHistogram() };
  for (const side of [a.legacy, a.shadow]) {
    if (!side) continue;
    answered.n += side.n;
    answered.e5 += side.e5;
    addHistogram(answered.hist, side.hist);
  }
  return {
    legacy: sideTraffic(a.legacy),
    shadow: sideTraffic(a.shadow),
    migrated: sideTraffic(a.migrated),
    answeredByLegacy: sideTraffic(answered),
    refused: a.refused,
  };
}

function sideTraffic(s: SideAgg | null): SideTraffic {
  if (!s || s.n === 0) return { requests: 0, errors5xx: 0, errorRate: null, p95Ms: null };
  const p95 = quantileMs(s.hist, 0.95);
  return {
    requests: s.n,
    errors5xx: s.e5,
    errorRate: s.e5 / s.n,
    p95Ms: p95 === null ? null : Math.round(Math.min(p95, P95_CAP) * 10) / 10,
  };
}

function parityOf(agg: RouteAgg | undefined): ParityWindow {
  const p = agg?.parity ?? { match: 0, mismatch: 0, error: 0, skipped: 0 };
  const compared = p.match + p.mismatch;
  return { compared, match: p.match, mismatch: p.mismatch, errors: p.error, skipped: p.skipped, matchRate: compared ? p.match / compared : null };
}

function countersInfo(view: TrafficView, storage: 'memory' | 'redis', flushMs: number): StatusSnapshot['counters'] {
  const since = new Date(view.countingSince).toISOString();
  const n = view.instances.length;
  const description =
    storage === 'memory'
      ? `in memory on this instance only, since ${when(since, view.now)}: lost at restart, and other instances are not included`
      : `in Redis, summed across ${count(n)} instance${n === 1 ? '' : 's'}, since ${when(since, view.now)}`;
  return {
    storage,
    description,
    instances: view.instances.map((i) => ({ id: i.id, startedAt: new Date(i.startedAt).toISOString(), lastFlushAt: new Date(i.lastFlushAt).toISOString(), self: i.self })),
    since,
    flushIntervalMs: flushMs,
  };
}
