import type { RouteStatus, TrafficWindow, UnmigratedEndpoint } from './snapshot.ts';
import { TRAFFIC_WINDOWS } from './snapshot.ts';

/**
 * What the page's query string asks for: sorting by column without JavaScript is a link per
 * column header (`?sort=owner&dir=desc`), so every choice is a plain, bookmarkable URL.
 */
export interface PageQuery {
  window: TrafficWindow;
  sort: RouteColumn;
  dir: 'asc' | 'desc';
  usort: EndpointColumn;
  udir: 'asc' | 'desc';
  correlationId: string | undefined;
}

export const ROUTE_COLUMNS = ['route', 'state', 'owner', 'target', 'migrated', 'legacy', 'new', 'errors', 'p95', 'parity'] as const;
export type RouteColumn = (typeof ROUTE_COLUMNS)[number];
export const ENDPOINT_COLUMNS = ['endpoint', 'count', 'last', 'replaced'] as const;
export type EndpointColumn = (typeof ENDPOINT_COLUMNS)[number];

const pick = <T extends string>(value: unknown, allowed: readonly T[], fallback: T): T =>
  typeof value === 'string' && (allowed as readonly string[]).includes(value) ? (value as T) : fallback;

export function parsePageQuery(query: Record<string, unknown>): PageQuery {
  const id = typeof query['correlationId'] === 'string' ? query['correlationId'].trim() : '';
  return {
    window: pick(query['window'], TRAFFIC_WINDOWS, 'hour'),
    sort: pick(query['sort'], ROUTE_COLUMNS, 'route'),
    dir: pick(query['dir'], ['asc', 'desc'] as const, 'asc'),
    usort: pick(query['usort'], ENDPOINT_COLUMNS, 'count'),
    udir: pick(query['udir'], ['asc', 'desc'] as const, 'desc'),
    correlationId: id === '' ? undefined : id.slice(0, 200),
  };
}

/** The query string for a link: the current choices with some changed. */
export function pageHref(q: PageQuery, change: Partial<PageQuery>): string {
  const next = { ...q, ...change };
  const params = new URLSearchParams();
  if (next.window !== 'hour') params.set('window', next.window);
  if (next.sort !== 'route' || next.dir !== 'asc') {
    params.set('sort', next.sort);
    params.set('dir', next.dir);
  }
  if (next.usort !== 'count' || next.udir !== 'desc') {
    params.set('usort', next.usort);
    params.set('udir', next.udir);
  }
  if (next.correlationId) params.set('correlationId', next.correlationId);
  const s = params.toString();
  return s ? `?${s}` : '?';
}

const STATE_ORDER = { proxied: 0, shadow: 1, 'rolled-back': 2, canary: 3, migrated: 4, retired: 5 } as const;

type Key = string | number | null;

function routeKey(r: RouteStatus, column: RouteColumn, w: TrafficWindow): Key {
  const t = r.traffic[w];
  switch (column) {
    case 'route':
      return r.id;
    case 'state':
      return STATE_ORDER[r.state.word] * 1000 + r.state.rollout;
    case 'owner':
      return r.owner.toLowerCase();
    case 'target':
      return r.targetDate;
    case 'migrated':
      return r.migratedDate;
    case 'legacy':
      return t.answeredByLegacy.requests;
    case 'new':
      return t.migrated.requests;
    case 'errors':
      return t.migrated.errorRate ?? t.answeredByLegacy.errorRate;
    case 'p95':
      return t.migrated.p95Ms ?? t.answeredByLegacy.p95Ms;
    case 'parity':
      return r.parity.windows[w].matchRate;
  }
}

function endpointKey(e: UnmigratedEndpoint, column: EndpointColumn): Key {
  switch (column) {
    case 'endpoint':
      return `${e.path} ${e.method}`;
    case 'count':
      return e.count;
    case 'last':
      return e.lastSeen;
    case 'replaced':
      return e.replacedBy;
  }
}

/** Missing values (no traffic, no date) sort last in either direction; ties keep a stable order. */
function compare(a: Key, b: Key, dir: 'asc' | 'desc'): number {
  if (a === b) return 0;
  if (a === null) return 1;
  if (b === null) return -1;
  const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b));
  return dir === 'asc' ? c : -c;
}

export function sortRoutes(routes: readonly RouteStatus[], q: PageQuery): RouteStatus[] {
  return [...routes].sort((a, b) => compare(routeKey(a, q.sort, q.window), routeKey(b, q.sort, q.window), q.dir) || a.id.localeCompare(b.id));
}

export function sortEndpoints(endpoints: readonly UnmigratedEndpoint[], q: PageQuery): UnmigratedEndpoint[] {
  return [...endpoints].sort((a, b) => compare(endpointKey(a, q.usort), endpointKey(b, q.usort), q.udir) || b.count - a.count || a.path.localeCompare(b.path));
}
