import { bucketOf, newHistogram, quantileMs } from '../status/histogram.ts';
import { ERROR_OUTCOMES, type BreakerState, type CallOutcome, type LegacyCallEvent } from './call-events.ts';

/**
 * What the resilience policies did for one (route, endpoint) since this instance started: the
 * status page's figures. Counted in memory from the client's events; each instance has its own
 * breakers and bulkheads, so these are this instance's, as the page says.
 */
export interface EndpointFigures {
  /** `route:endpoint`, as the circuits are keyed. */
  key: string;
  route: string;
  endpoint: string;
  /** Calls that reached the pipeline (cache hits are not calls). */
  calls: number;
  /** Calls by outcome; only outcomes seen are present. */
  outcomes: Partial<Record<CallOutcome, number>>;
  /** 5xx, timeout, network, breaker-open, bulkhead-rejected and unexpected errors. */
  errors: number;
  /** Of calls, retries and backoff waits included; null before the first call. */
  p95Ms: number | null;
  /** Attempts that failed and were tried again. */
  retries: number;
  breaker: { state: BreakerState; transitions: number; lastChangedAt: string | null };
  bulkheadRejections: number;
  cache: { hits: number; misses: number; hitRate: number | null };
}

interface Tally {
  route: string;
  endpoint: string;
  calls: number;
  outcomes: Partial<Record<CallOutcome, number>>;
  hist: Uint32Array;
  retries: number;
  transitions: number;
  lastChangedAt: number | null;
  bulkheadRejections: number;
  hits: number;
  misses: number;
}

export interface EndpointFigureBook {
  record(event: LegacyCallEvent): void;
  /** Every (route, endpoint) seen, with the breaker state the pipelines report now. */
  figures(breakers: ReadonlyArray<{ key: string; state: BreakerState }>): EndpointFigures[];
}

export function createEndpointFigures(now: () => number = Date.now): EndpointFigureBook {
  const tallies = new Map<string, Tally>();

  function tally(route: string, endpoint: string): Tally {
    const key = `${route}:${endpoint}`;
    let t = tallies.get(key);
    if (!t) {
      t = { route, endpoint, calls: 0, outcomes: {}, hist: newHistogram(), retries: 0, transitions: 0, lastChangedAt: null, bulkheadRejections: 0, hits: 0, misses: 0 };
      tallies.set(key, t);
    }
    return t;
  }

  return {
    record(e) {
      const t = tally(e.route, e.endpoint);
      switch (e.type) {
        case 'call': {
          t.calls++;
          t.outcomes[e.outcome] = (t.outcomes[e.outcome] ?? 0) + 1;
          const i = bucketOf(e.seconds * 1000);
          t.hist[i] = t.hist[i]! + 1;
          break;
        }
        case 'retry':
          t.retries++;
          break;
        case 'breaker':
          t.transitions++;
          t.lastChangedAt = now();
          break;
        case 'bulkhead-rejected':
          t.bulkheadRejections++;
          break;
        case 'cache':
          if (e.hit) t.hits++;
          else t.misses++;
          break;
      }
    },
    figures(breakers) {
      const states = new Map(breakers.map((b) => [b.key, b.state]));
      return [...tallies]
        .map(([key, t]) => {
          const p95 = quantileMs(t.hist, 0.95);
          const lookups = t.hits + t.misses;
          return {
            key,
            route: t.route,
            endpoint: t.endpoint,
            calls: t.calls,
            outcomes: { ...t.outcomes },
            errors: ERROR_OUTCOMES.reduce((sum, o) => sum + (t.outcomes[o] ?? 0), 0),
            p95Ms: p95 === null ? null : Math.round(Math.min(p95, 88_000) * 10) / 10,
            retries: t.retries,
            breaker: { state: states.get(key) ?? 'closed', transitions: t.transitions, lastChangedAt: t.lastChangedAt === null ? null : new Date(t.lastChangedAt).toISOString() },
            bulkheadRejections: t.bulkheadRejections,
            cache: { hits: t.hits, misses: t.misses, hitRate: lookups ? t.hits / lookups : null },
          };
        })
        .sort((a, b) => a.key.localeCompare(b.key));
    },
  };
}
