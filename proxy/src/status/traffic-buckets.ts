import { addHistogram, addSparse, newHistogram, toSparse, type SparseHistogram } from './histogram.ts';
import { strongerSource, type TemplateSource } from './path-template.ts';

/**
 * The counters, in memory and as stored. A bucket covers one minute, hour or UTC day; each
 * proxy instance writes its own bucket documents whole (Keyv has no atomic increment), and a
 * reader adds up the documents of every instance.
 */

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** Who answered a request on a route: legacy (decided so, or the catch-all), shadow (legacy answered, compared) or migrated. */
export type AnsweredBy = 'legacy' | 'shadow' | 'migrated';
export const ANSWERED_BY: readonly AnsweredBy[] = ['legacy', 'shadow', 'migrated'];
/** `refused`: the proxy answered before the flags decided (sign-in needed, CSRF, after the cutoff). */
export type Side = AnsweredBy | 'refused';

export type ShadowResult = 'match' | 'mismatch' | 'error' | 'skipped';

export interface SideAgg {
  n: number;
  e5: number;
  hist: Uint32Array;
}

export interface RouteAgg {
  legacy: SideAgg | null;
  shadow: SideAgg | null;
  migrated: SideAgg | null;
  refused: number;
  parity: Record<ShadowResult, number>;
}

export type RouteAggs = Map<string, RouteAgg>;

/**
 * How a request proved who it is, as checked: the proxy's session, a verified legacy token, a
 * credential the proxy could not verify (invalid, expired, or unverifiable right now), or none
 * it handles (anonymous, or another Authorization scheme).
 */
export type AuthKind = 'session' | 'legacyJwt' | 'unverified' | 'other';
export interface EndpointCount {
  n: number;
  /** ms since the epoch */
  last: number;
  /** Where the template came from; absent: the fixed rules (and in documents written before sources were kept). */
  source?: Exclude<TemplateSource, 'rule'>;
}

export interface DayAgg {
  start: number;
  auth: Record<AuthKind, number>;
  endpoints: Map<string, EndpointCount>;
}

/** Distinct catch-all endpoints kept per day; the rest are counted together under this key. */
export const MAX_ENDPOINTS = 500;
export const OTHER_ENDPOINTS = 'OTHER (more endpoints than the status page keeps)';

// --- stored documents ---------------------------------------------------------------------

export interface SideDoc {
  n: number;
  e5: number;
  h: SparseHistogram;
}
export interface RouteDoc {
  legacy?: SideDoc;
  shadow?: SideDoc;
  migrated?: SideDoc;
  refused?: number;
  parity?: Partial<Record<ShadowResult, number>>;
}
export interface SeriesDoc {
  start: number;
  routes: Record<string, RouteDoc>;
}
export interface DayDoc {
  start: number;
  auth: Record<AuthKind, number>;
  endpoints: Record<string, EndpointCount>;
}

// --- in memory ----------------------------------------------------------------------------

export function newRouteAgg(): RouteAgg {
  return { legacy: null, shadow: null, migrated: null, refused: 0, parity: { match: 0, mismatch: 0, error: 0, skipped: 0 } };
}

export function routeAgg(routes: RouteAggs, route: string): RouteAgg {
  let agg = routes.get(route);
  if (!agg) routes.set(route, (agg = newRouteAgg()));
  return agg;
}

export function sideAgg(agg: RouteAgg, side: AnsweredBy): SideAgg {
  return (agg[side] ??= { n: 0, e5: 0, hist: newHistogram() });
}

export function newDayAgg(start: number): DayAgg {
  return { start, auth: { session: 0, legacyJwt: 0, unverified: 0, other: 0 }, endpoints: new Map() };
}

export function countEndpoint(day: DayAgg, key: string, source: TemplateSource, at: number): void {
  let entry = day.endpoints.get(key);
  if (!entry) {
    const k = day.endpoints.size < MAX_ENDPOINTS ? key : OTHER_ENDPOINTS;
    entry = day.endpoints.get(k);
    if (!entry) day.endpoints.set(k, (entry = k === key && source !== 'rule' ? { n: 0, last: 0, source } : { n: 0, last: 0 }));
  }
  entry.n++;
  if (at > entry.last) entry.last = at;
}

// --- to and from documents ------------------------------------------------------------------

export function toSeriesDoc(start: number, routes: RouteAggs): SeriesDoc {
  const out: Record<string, RouteDoc> = {};
  for (const [route, agg] of routes) {
    const doc: RouteDoc = {};
    for (const side of ANSWERED_BY) {
      const s = agg[side];
      if (s) doc[side] = { n: s.n, e5: s.e5, h: toSparse(s.hist) };
    }
    if (agg.refused) doc.refused = agg.refused;
    const parity = Object.entries(agg.parity).filter(([, n]) => n > 0);
    if (parity.length) doc.parity = Object.fromEntries(parity);
    out[route] = doc;
  }
  return { start, routes: out };
}

export function addSeriesDoc(into: RouteAggs, doc: SeriesDoc | undefined): void {
  if (!doc || typeof doc.routes !== 'object' || doc.routes === null) return;
  for (const [route, r] of Object.entries(doc.routes)) {
    const agg = routeAgg(into, route);
    for (const side of ANSWERED_BY) {
      const s = r[side];
      if (!s) continue;
      const target = sideAgg(agg, side);
      target.n += num(s.n);
      target.e5 += num(s.e5);
      addSparse(target.hist, s.h);
    }
    agg.refused += num(r.refused);
    for (const result of Object.keys(agg.parity) as ShadowResult[]) agg.parity[result] += num(r.parity?.[result]);
  }
}

export function addRouteAggs(into: RouteAggs, from: RouteAggs): void {
  for (const [route, r] of from) {
    const agg = routeAgg(into, route);
    for (const side of ANSWERED_BY) {
      const s = r[side];
      if (!s) continue;
      const target = sideAgg(agg, side);
      target.n += s.n;
      target.e5 += s.e5;
      addHistogram(target.hist, s.hist);
    }
    agg.refused += r.refused;
    for (const result of Object.keys(agg.parity) as ShadowResult[]) agg.parity[result] += r.parity[result];
  }
}

export function toDayDoc(day: DayAgg): DayDoc {
  return { start: day.start, auth: { ...day.auth }, endpoints: Object.fromEntries([...day.endpoints].map(([k, v]) => [k, { ...v }])) };
}

export function addDayDoc(into: DayAgg, doc: DayDoc | undefined): void {
  if (!doc) return;
  for (const kind of Object.keys(into.auth) as AuthKind[]) into.auth[kind] += num(doc.auth?.[kind]);
  for (const [key, v] of Object.entries(doc.endpoints ?? {})) {
    addEndpointCount(into.endpoints, key, { n: num(v.n), last: num(v.last), ...(v.source === 'openapi' || v.source === 'learned' ? { source: v.source } : {}) });
  }
}

/** Adds a row into a day's (or a week's) endpoints: counts add up, the latest time and the stronger source win. */
export function addEndpointCount(into: Map<string, EndpointCount>, key: string, v: EndpointCount): void {
  const entry = into.get(key);
  if (!entry) {
    into.set(key, { ...v });
    return;
  }
  entry.n += v.n;
  entry.last = Math.max(entry.last, v.last);
  const source = strongerSource(entry.source ?? 'rule', v.source ?? 'rule');
  if (source !== 'rule') entry.source = source;
}

/** Stored documents come from other processes (or older versions): read numbers defensively. */
function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : 0;
}
