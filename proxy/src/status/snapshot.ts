import type { GuardSettings } from '../canary/guard-config.ts';
import type { RollbackReason } from '../canary/judge.ts';
import type { GuardEvent } from '../canary/rollback-store.ts';
import type { WindowFigures } from '../canary/route-window.ts';
import type { EndpointFigures } from '../legacy/endpoint-figures.ts';
import type { TemplateSource } from './path-template.ts';
import type { RouteState } from './route-state.ts';
import type { RecentRequest } from './recent-requests.ts';

export type { RouteState, StateWord } from './route-state.ts';
export type { RecentRequest } from './recent-requests.ts';
export { buildStatusSnapshot, type StatusSources } from './build-snapshot.ts';

/**
 * The status snapshot: what `GET ${prefix}/status/api` answers, the HTML page shows and
 * `npm run status` prints. Plain JSON. Conventions: times are ISO 8601 strings (UTC); rates
 * and shares are fractions 0..1 (null when there is nothing to divide by); latencies are
 * milliseconds. `version` changes when a field changes meaning or goes away.
 */
export interface StatusSnapshot {
  version: 1;
  generatedAt: string;
  /** The instance that answered. */
  instance: string;
  counters: CountersInfo;
  windows: Record<TrafficWindow, WindowInfo>;
  flags: { source: 'file' | 'unleash' };
  routes: RouteStatus[];
  legacy: LegacyApiStatus;
}

/** `hour`: the last 60 minute buckets; `day`: the last 24 hour buckets; `week`: the last 168. Each includes the current, partial bucket. */
export type TrafficWindow = 'hour' | 'day' | 'week';
export const TRAFFIC_WINDOWS: readonly TrafficWindow[] = ['hour', 'day', 'week'];

export interface WindowInfo {
  from: string;
  to: string;
  /** `last hour`, `last 24 hours`, `last 7 days`. */
  label: string;
}

export interface CountersInfo {
  /** `memory`: this instance only, lost at restart. `redis`: shared, summed across instances. */
  storage: 'memory' | 'redis';
  /** In words, for the page: "in Redis, summed across 2 instances". */
  description: string;
  /** Every instance whose counters are included (dead ones too, while their counters last). */
  instances: Array<{ id: string; startedAt: string; lastFlushAt: string; self: boolean }>;
  /** When counting began (the earliest instance start still on record). */
  since: string;
  flushIntervalMs: number;
}

export interface RouteStatus {
  id: string;
  method: string;
  path: string;
  /** `GET /api/home`: the legacy endpoint the route replaces (may be the same address). */
  replaces: string | null;
  flag: string;
  owner: string;
  targetDate: string;
  migratedDate: string | null;
  notes: string | null;
  state: RouteState;
  traffic: Record<TrafficWindow, RouteTraffic>;
  parity: RouteParity;
  /** The canary guard: what it watches, the rollback in force, its history. */
  guard: RouteGuardStatus;
  /** One plain-language line for support staff. */
  summary: string;
}

export interface RouteGuardStatus {
  /** null: off for this route (`guard: false` in its file). */
  settings: GuardSettings | null;
  /** The settings in words. */
  watches: string;
  /** The answering instance's sliding window (each instance judges its own traffic); null when the guard is off. */
  window: WindowFigures | null;
  /** The automatic rollback in force (on every instance), or null. */
  rollback: RouteRollback | null;
  /** Newest first (at most 20): rollbacks and their clearing. */
  events: Array<GuardEvent & { text: string }>;
  /** False when the shared store could not be read: the rollback is what the answering instance knows, and the events are missing. */
  shared: boolean;
}

export interface RouteRollback {
  at: string;
  /** The criterion that found the new route worse. */
  reason: RollbackReason;
  /** `5xx 25% against legacy 0% over 120 requests (60 on the new route)`. */
  detail: string;
  /** The flag when it happened: a new state of it (enabled or rollout changed) ends the rollback. */
  flag: { name: string; enabled: boolean; rollout: number };
  /** The instance that decided. */
  instance: string;
  /** Shadow comparisons since the rollback, on every instance: `failed` is the new route failing. */
  shadowSince: { match: number; mismatch: number; failed: number };
  /** `rolled back automatically at 14:02 UTC: ...`. */
  text: string;
  /** `shadow has matched 200 of the last 200 since the rollback`: reported, never acted on. */
  recovery: string;
}

export interface SideTraffic {
  requests: number;
  errors5xx: number;
  /** errors5xx / requests. */
  errorRate: number | null;
  /**
   * 95th percentile of the time to the response's end, as the upper bound of its histogram
   * bucket (at most ~19% above the true value). Null without requests; 88000 means 88 s or more.
   */
  p95Ms: number | null;
}

export interface RouteTraffic {
  /** The flags sent the request to the legacy API. */
  legacy: SideTraffic;
  /** The legacy API answered and the migrated route ran beside it. */
  shadow: SideTraffic;
  /** The migrated route answered. */
  migrated: SideTraffic;
  /** legacy + shadow: every request the legacy API answered (what the new route is compared with). */
  answeredByLegacy: SideTraffic;
  /** Requests the proxy refused before the flags decided (sign-in needed, CSRF, after the cutoff). */
  refused: number;
}

export interface ParityWindow {
  /** match + mismatch. */
  compared: number;
  match: number;
  mismatch: number;
  /** The comparison could not be made (the migrated route failed, a body was not JSON...). */
  errors: number;
  /** Not compared (over the concurrency cap, body too large...). */
  skipped: number;
  /** match / compared. */
  matchRate: number | null;
}

export interface RouteParity {
  windows: Record<TrafficWindow, ParityWindow>;
  /** Newest first, across instances (at most 10). */
  recentMismatches: Array<{ at: string; correlationId: string; paths: string[]; differenceCount: number }>;
  /** Field paths learned to differ between two legacy answers (not counted as mismatches); this instance's model. */
  noisyPaths: string[];
}

export interface LegacyApiStatus {
  health: LegacyHealth;
  /**
   * What the legacy client's policies did per (route, endpoint) the migrated routes call, on the
   * answering instance since it started: calls, errors by kind, p95, retries, breaker, bulkhead, cache.
   */
  endpoints: EndpointFigures[];
  /** What the catch-all forwarded (every request no migrated route claimed). */
  catchAll: Record<TrafficWindow, SideTraffic>;
  unmigrated: UnmigratedTraffic;
  authWindow: AuthWindow;
}

export interface LegacyHealth {
  /** null: not known yet (judged from traffic, and none has been answered on this instance). */
  reachable: boolean | null;
  /** `probe`: GET `path` (LEGACY_HEALTH_PATH); `traffic`: the catch-all's latest outcomes. */
  judgedBy: 'probe' | 'traffic';
  path: string | null;
  latencyMs: number | null;
  checkedAt: string | null;
  error: string | null;
  /** Circuit breakers of the legacy client, per `route:endpoint` called so far, on the answering instance. */
  circuits: Array<{ key: string; state: 'closed' | 'open' | 'half-open' }>;
  openCircuits: number;
  summary: string;
}

export interface UnmigratedTraffic {
  /** Counts run from this UTC midnight (the day 7 days ago) to now. */
  since: string;
  /** An endpoint is listed when it was last seen within the last 7 days. */
  endpoints: UnmigratedEndpoint[];
  total: number;
  lastSeen: string | null;
  /** The counters cover at least 7 days. */
  sevenDaysCounted: boolean;
  /** No catch-all traffic in 7 counted days: the evidence to remove the catch-all. */
  catchAllRemovable: boolean;
  verdict: string;
}

export interface UnmigratedEndpoint {
  method: string;
  /** Path template, ids folded: `/api/sessions/:id`. */
  path: string;
  /**
   * How the path was grouped: `openapi`, a path of the legacy API's document (LEGACY_OPENAPI_FILE);
   * `learned`, a position folded because it took many distinct values; `rule`, the fixed rules (numbers, uuids...).
   */
  source: TemplateSource;
  count: number;
  lastSeen: string;
  /** A migrated route that replaces this endpoint at another address, if any (clients still call the old one). */
  replacedBy: string | null;
}

export interface AuthWindow {
  /** End of the dual-auth window (AUTH_CUTOFF); null when none is set. */
  cutoff: string | null;
  cutoffPassed: boolean;
  /** Newest first, from the day counting began. Own endpoints are not counted. */
  days: AuthDay[];
  summary: string;
}

export interface AuthDay {
  /** YYYY-MM-DD (UTC). */
  date: string;
  /** With the proxy's session cookie. */
  session: number;
  /** With a legacy token the proxy verified (where LEGACY_TOKEN_* says it travels), and no session cookie. */
  legacyJwt: number;
  /** With a credential the proxy could not verify: an invalid or expired legacy token, one it could not check at the time, an ended session. */
  unverified: number;
  /** Neither: anonymous, or another Authorization scheme. */
  other: number;
  total: number;
  sessionShare: number | null;
  legacyJwtShare: number | null;
}

/** `GET ${prefix}/status/requests/:correlationId`. */
export type RequestLookup = RecentRequest;
