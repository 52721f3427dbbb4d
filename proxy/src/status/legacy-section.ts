import type { LegacyReach, LegacyReachability } from '../health/legacy-reachability.ts';
import type { Cutoff } from '../identity/cutoff.ts';
import type { BreakerState } from '../legacy/endpoint-pipeline.ts';
import { matchPath } from '../routing/path-pattern.ts';
import type { RegisteredRoute } from '../routing/registry.ts';
import type { TrafficView } from './accounting.ts';
import { count, percent, plural, when } from './format.ts';
import type { AuthDay, AuthWindow, LegacyHealth, UnmigratedEndpoint, UnmigratedTraffic } from './snapshot.ts';
import { DAY, MAX_ENDPOINTS, OTHER_ENDPOINTS, addEndpointCount, type EndpointCount } from './traffic-buckets.ts';

/** The legacy API as a whole: reachable, circuits, what still reaches it through the catch-all, and how callers sign in. */

export async function legacyHealth(reachability: Pick<LegacyReachability, 'check'>, circuits: Array<{ key: string; state: BreakerState }>): Promise<LegacyHealth> {
  const r = await reachability.check();
  const open = circuits.filter((c) => c.state !== 'closed');
  const reach = reachWords(r);
  const breakers =
    circuits.length === 0
      ? 'no circuits yet on this instance (no migrated route has called the legacy API)'
      : open.length === 0
        ? `all ${circuits.length} circuits closed on this instance`
        : `${open.length} of ${circuits.length} circuits not closed on this instance: ${open.map((c) => `${c.key} (${c.state})`).join(', ')}`;
  return {
    reachable: r.reachable,
    judgedBy: r.judgedBy,
    path: r.path ?? null,
    latencyMs: r.latencyMs,
    checkedAt: r.checkedAt,
    error: r.error ?? null,
    circuits: circuits.map((c) => ({ key: c.key, state: c.state })),
    openCircuits: open.length,
    summary: `${reach}; ${breakers}.`,
  };
}

/** "Reachable (GET /health answered in 4 ms)", "Not reachable (why)", or not known yet; a judgement from traffic says so. */
function reachWords(r: LegacyReach): string {
  const fromTraffic = r.judgedBy === 'traffic';
  if (r.reachable === null) return `Reachability ${r.note ?? 'not known yet'}${fromTraffic ? ' (judged from catch-all traffic: LEGACY_HEALTH_PATH=none)' : ''}`;
  if (!r.reachable) return `Not reachable (${r.error ?? 'no answer'}${fromTraffic ? '; judged from catch-all traffic' : ''})`;
  return fromTraffic ? 'Reachable (judged from catch-all traffic: the latest request was answered)' : `Reachable (GET ${r.path} answered in ${r.latencyMs} ms)`;
}

/**
 * Catch-all requests of the last 7 days by endpoint: the evidence that decides when the
 * catch-all can go. Counted per UTC day, so the counts run from midnight 7 days ago; an
 * endpoint is listed only when it was last seen within the last 7 days.
 */
export function unmigratedTraffic(view: TrafficView, routes: readonly RegisteredRoute[], sevenDaysCounted: boolean, storage: 'memory' | 'redis'): UnmigratedTraffic {
  const now = view.now;
  const weekAgo = now - 7 * DAY;
  const since = weekAgo - (weekAgo % DAY);
  const merged = new Map<string, EndpointCount>();
  for (const day of view.days) {
    if (day.start < since) continue;
    for (const [key, v] of day.endpoints) addEndpointCount(merged, key, v);
  }
  const endpoints: UnmigratedEndpoint[] = [...merged]
    .filter(([, v]) => v.last >= weekAgo)
    .map(([key, v]) => {
      const space = key.indexOf(' ');
      const method = key.slice(0, space);
      const path = key.slice(space + 1);
      return { method, path, source: v.source ?? ('rule' as const), count: v.n, lastSeen: new Date(v.last).toISOString(), replacedBy: replacedBy(routes, method, path) };
    })
    .sort((a, b) => b.count - a.count || a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  // Each instance keeps at most MAX_ENDPOINTS a day; added up over instances and days, the list is capped again.
  if (endpoints.length > MAX_ENDPOINTS) {
    const rest = endpoints.splice(MAX_ENDPOINTS - 1);
    const other: UnmigratedEndpoint = { method: 'OTHER', path: OTHER_ENDPOINTS.slice('OTHER '.length), source: 'rule', count: 0, lastSeen: rest[0]!.lastSeen, replacedBy: null };
    for (const e of rest) {
      other.count += e.count;
      if (e.lastSeen > other.lastSeen) other.lastSeen = e.lastSeen;
    }
    endpoints.push(other);
  }
  const total = endpoints.reduce((sum, e) => sum + e.count, 0);
  const lastSeen = endpoints.reduce<string | null>((latest, e) => (latest === null || e.lastSeen > latest ? e.lastSeen : latest), null);
  const only = storage === 'memory' ? ' (counted on this instance only)' : '';
  let verdict: string;
  if (total > 0) {
    verdict = `The catch-all forwarded ${plural(total, 'request')} to ${plural(endpoints.length, 'legacy endpoint')} in the last 7 days${only}, the latest at ${when(lastSeen, now)}: it is still needed.`;
  } else if (sevenDaysCounted) {
    verdict = `No catch-all traffic for 7 days${only}: the catch-all can go.`;
  } else {
    const counted = new Date(view.countingSince).toISOString();
    verdict = `No catch-all traffic since counting began at ${when(counted, now)}${only}, but that is less than 7 days: wait until ${when(new Date(view.countingSince + 7 * DAY).toISOString(), now)}.`;
  }
  return {
    since: new Date(since).toISOString(),
    endpoints,
    total,
    lastSeen,
    sevenDaysCounted,
    catchAllRemovable: total === 0 && sevenDaysCounted,
    verdict,
  };
}

/** A migrated route that replaces this (templated) endpoint at another address: clients still calling the old one. */
function replacedBy(routes: readonly RegisteredRoute[], method: string, path: string): string | null {
  for (const { route, replaces } of routes) {
    if (!replaces) continue;
    const sameMethod = replaces.method === method || (replaces.method === 'GET' && method === 'HEAD');
    if (sameMethod && matchPath(replaces.pattern, path)) return route.id;
  }
  return null;
}

/** Per UTC day from the day counting began: how requests proved who they are (session, verified legacy token, unverifiable, neither). */
export function authWindow(view: TrafficView, cutoff: Cutoff): AuthWindow {
  const firstDay = view.countingSince - (view.countingSince % DAY);
  const days: AuthDay[] = view.days
    .filter((d) => d.start >= firstDay)
    .map((d) => {
      const total = d.auth.session + d.auth.legacyJwt + d.auth.unverified + d.auth.other;
      return {
        date: new Date(d.start).toISOString().slice(0, 10),
        session: d.auth.session,
        legacyJwt: d.auth.legacyJwt,
        unverified: d.auth.unverified,
        other: d.auth.other,
        total,
        sessionShare: total ? d.auth.session / total : null,
        legacyJwtShare: total ? d.auth.legacyJwt / total : null,
      };
    });
  const week = days.slice(0, 7).reduce((sum, d) => ({ s: sum.s + d.session, j: sum.j + d.legacyJwt, u: sum.u + d.unverified, o: sum.o + d.other }), { s: 0, j: 0, u: 0, o: 0 });
  const total = week.s + week.j + week.u + week.o;
  const shares = total
    ? `${days.length === 1 ? 'Today (UTC)' : `Over the last ${Math.min(7, days.length)} days`}, ${percent(week.s / total)} of ${count(total)} requests came with a session cookie, ${percent(week.j / total)} with a verified legacy token, ${percent(week.u / total)} with a credential the proxy could not verify and ${percent(week.o / total)} with neither.`
    : 'No requests counted yet.';
  const at = cutoff.date;
  const window = !at
    ? 'No cutoff is set: legacy tokens are accepted with no end date.'
    : cutoff.passed()
      ? `The window closed at ${at.toISOString()}: legacy tokens are refused at the proxy.`
      : `Legacy tokens are accepted until ${at.toISOString()} (${plural(Math.ceil((at.getTime() - view.now) / DAY), 'day')} left).`;
  return { cutoff: at ? at.toISOString() : null, cutoffPassed: cutoff.passed(), days, summary: `${window} ${shares}` };
}
