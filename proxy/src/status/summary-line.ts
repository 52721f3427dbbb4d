import { count, percent, plural, when } from './format.ts';
import type { RouteState } from './route-state.ts';
import type { ParityWindow, RouteRollback, RouteTraffic, SideTraffic, TrafficWindow } from './snapshot.ts';

/** Below this many requests on a side (or comparisons), a rate says more about luck than about the route. */
export const MIN_TO_COMPARE = 20;

const WINDOW_WORDS: Record<TrafficWindow, string> = { hour: 'in the last hour', day: 'in the last 24 hours', week: 'in the last 7 days' };
const ORDER: readonly TrafficWindow[] = ['hour', 'day', 'week'];
const SHADOWABLE = new Set(['GET', 'HEAD']);

export interface SummaryInput {
  method: string;
  flag: string;
  state: RouteState;
  traffic: Record<TrafficWindow, RouteTraffic>;
  parity: Record<TrafficWindow, ParityWindow>;
  latestMismatchPaths: string[];
  /** The canary guard's rollback in force, for the `rolled-back` state. */
  rollback?: RouteRollback | null;
  now: number;
}

/**
 * One line a support person can repeat to a user: who is served by what, since when, and
 * whether the new route does as well as the legacy API. Says so when the numbers are too few.
 */
export function summaryLine(s: SummaryInput): string {
  const at = s.state.lastChangedAt ? when(s.state.lastChangedAt, s.now) : null;
  const since = at === null ? '' : s.state.unchangedSinceStartup ? ` since at least ${at}` : ` since ${at}`;
  switch (s.state.word) {
    case 'proxied': {
      const why = s.state.flagExists ? (s.state.flagEnabled ? '' : ` (flag ${s.flag} is switched off)`) : ` (flag ${s.flag} is not defined)`;
      return `Served by the legacy API for everyone${why}; no shadow yet.${volume(s.traffic)}`;
    }
    case 'shadow':
      return `Shadow only: the legacy API answers everyone${since}; ${shadowWords(s)}.`;
    case 'canary': {
      const line = `${s.state.rollout}% of users are served by the new route${since}; ${errorComparison(s.traffic)}.`;
      return s.state.shadow ? `${line} The other users are shadowed: ${shadowWords(s)}.` : line;
    }
    case 'rolled-back': {
      const why = s.rollback ? `R${s.rollback.text.slice(1)}` : 'Rolled back automatically';
      const recovery = s.rollback ? `; ${s.rollback.recovery}` : '';
      return `${why}. The legacy API serves everyone until staff clear the rollback on the status page or the flag changes${recovery}.`;
    }
    case 'migrated':
      return `All users are served by the new route${since}; ${migratedErrors(s.traffic)}.${s.state.retirement && /still received/.test(s.state.retirement) ? ` Legacy: ${s.state.retirement}.` : ''}`;
    case 'retired':
      return `Retired: all users are served by the new route${since}; ${s.state.retirement ?? 'the legacy endpoint received no traffic in the last 7 days'}.`;
  }
}

function volume(traffic: Record<TrafficWindow, RouteTraffic>): string {
  const n = traffic.hour.answeredByLegacy.requests;
  return n > 0 ? ` ${plural(n, 'request')} in the last hour.` : '';
}

function shadowWords(s: SummaryInput): string {
  if (!SHADOWABLE.has(s.method)) return `but ${s.method} requests are never shadowed (only GET and HEAD are), so nothing is compared`;
  const w = ORDER.find((window) => s.parity[window].compared > 0);
  if (!w) return 'nothing compared yet';
  const p = s.parity[w];
  const rate = p.compared < MIN_TO_COMPARE ? `too few to judge (${count(p.match)} matched)` : `${percent(p.matchRate)} match`;
  const latest = p.mismatch > 0 && s.latestMismatchPaths.length ? `; latest difference at ${s.latestMismatchPaths.slice(0, 3).join(', ')}` : '';
  return `${count(p.compared)} compared ${WINDOW_WORDS[w]}, ${rate}${latest}`;
}

/** The new route's 5xx rate against the legacy API's, in the shortest window with enough of both. */
export function errorComparison(traffic: Record<TrafficWindow, RouteTraffic>): string {
  const w = ORDER.find((window) => traffic[window].migrated.requests >= MIN_TO_COMPARE && traffic[window].answeredByLegacy.requests >= MIN_TO_COMPARE);
  if (!w) return 'too few requests to compare error rates yet';
  return `5xx rate ${compareRates(traffic[w].migrated, traffic[w].answeredByLegacy)} ${WINDOW_WORDS[w]}`;
}

function compareRates(mine: SideTraffic, legacy: SideTraffic): string {
  const a = mine.errors5xx / mine.requests;
  const b = legacy.errors5xx / legacy.requests;
  if (a === b) return `equal to legacy (${percent(a)})`;
  // Two-proportion test: only call it higher or lower when the gap is beyond chance (about 95%).
  const pooled = (mine.errors5xx + legacy.errors5xx) / (mine.requests + legacy.requests);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / mine.requests + 1 / legacy.requests));
  const versus = `(${percent(a)} vs ${percent(b)})`;
  if (Math.abs(a - b) <= 1.96 * se) return `similar to legacy ${versus}`;
  return `${a > b ? 'higher' : 'lower'} than legacy ${versus}`;
}

function migratedErrors(traffic: Record<TrafficWindow, RouteTraffic>): string {
  const w = ORDER.find((window) => traffic[window].migrated.requests >= MIN_TO_COMPARE);
  if (!w) return 'too few requests to state an error rate yet';
  return `5xx rate ${percent(traffic[w].migrated.errorRate)} ${WINDOW_WORDS[w]}`;
}
