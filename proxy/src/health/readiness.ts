import type { Logger } from 'pino';
import type { StoreCheck } from '../storage/store-check.ts';
import type { LegacyReach, LegacyReachability } from './legacy-reachability.ts';

/** What this instance needs to serve, each `ok` or why not. */
export interface ReadinessChecks {
  /** Checked at start-up: a process that runs has a valid configuration. */
  configuration: 'ok';
  flags: 'ok' | string;
  /**
   * `not configured` without REDIS_URL: memory needs no check. A condition until the store has
   * answered once; after that an outage is reported (`degraded`), not a reason to leave the pool.
   */
  storage: 'ok' | 'not configured' | string;
  /** Not once a shutdown has begun: the load balancer moves on while in-flight requests finish. */
  accepting: 'ok' | string;
}

export interface ReadinessReport {
  ready: boolean;
  /** The checks that are not ok (empty when ready). */
  missing: Array<keyof ReadinessChecks>;
  /** Not ok, yet no reason to take this instance out: the store, gone since it first answered. */
  degraded: Array<keyof ReadinessChecks>;
  checks: ReadinessChecks;
  /** Reported beside readiness, never part of it. */
  legacy: LegacyReach;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
}

/**
 * Can this instance serve? Its configuration (loaded, or it would not run), its flags (a first
 * set in force), its store (reachable once, when REDIS_URL is set), and it is not shutting down
 * (draining). Not the legacy API: when it is down, every instance would turn unready together
 * and leave the load balancer nothing, while each can still answer clear 502/504 problems and
 * serve its own pages. Its reachability rides along, as last known, so a hung legacy API never
 * slows this answer down.
 *
 * The store is shared by every instance in the same way, so it is a condition only until it has
 * answered once (an instance that never reached it may be misconfigured: a rollout stops there).
 * Later outages are every instance's at once: turning unready would empty the load balancer (a
 * Kubernetes Service has no fail-open), and plain pass-through, which needs no store, would fail
 * with it. So the instance stays ready and says `degraded: ['storage']`, with the reason under
 * `checks`, while what needs the store answers 503 with Retry-After.
 */
export function createReadiness(deps: {
  flags: { loaded(): boolean; readonly source: 'file' | 'unleash' };
  /** Undefined: no REDIS_URL. */
  store: StoreCheck | undefined;
  legacy: LegacyReachability;
  /** True from the start of a shutdown (SIGTERM: the drain before closing). */
  draining: () => boolean;
  log: Logger;
}): Readiness {
  let wasMissing = '';
  let wasDegraded = '';
  let storeAnswered = false;
  return {
    async check() {
      const store = deps.store ? await deps.store() : undefined;
      if (store?.reachable) storeAnswered = true;
      const checks: ReadinessChecks = {
        configuration: 'ok',
        flags: deps.flags.loaded() ? 'ok' : `not loaded yet${deps.flags.source === 'unleash' ? ': Unleash has not answered' : ''}`,
        storage: store === undefined ? 'not configured' : store.reachable ? 'ok' : (store.error ?? 'not reachable'),
        accepting: deps.draining() ? 'no: this instance is shutting down' : 'ok',
      };
      const failing = (Object.keys(checks) as Array<keyof ReadinessChecks>).filter((k) => checks[k] !== 'ok' && checks[k] !== 'not configured');
      const degraded = failing.filter((k) => k === 'storage' && storeAnswered);
      const missing = failing.filter((k) => !degraded.includes(k));
      // Load balancers ask every few seconds: a line when the answer changes, not per probe.
      const now = missing.join(',');
      if (now !== wasMissing) {
        if (now === 'accepting') deps.log.info('not ready: shutting down');
        else if (now) deps.log.warn({ missing, checks }, 'not ready');
        else deps.log.info('ready again');
        wasMissing = now;
      }
      if (degraded.join(',') !== wasDegraded) {
        if (degraded.length > 0) deps.log.warn({ degraded, checks }, 'degraded: still ready, what needs the store answers 503');
        else deps.log.info('the store answers again');
        wasDegraded = degraded.join(',');
      }
      return { ready: missing.length === 0, missing, degraded, checks, legacy: deps.legacy.latest() };
    },
  };
}
