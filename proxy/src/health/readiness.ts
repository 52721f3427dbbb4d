import type { Logger } from 'pino';
import type { StoreCheck } from '../storage/store-check.ts';
import type { LegacyReach, LegacyReachability } from './legacy-reachability.ts';

/** What this instance needs to serve, each `ok` or why not. */
export interface ReadinessChecks {
  /** Checked at start-up: a process that runs has a valid configuration. */
  configuration: 'ok';
  flags: 'ok' | string;
  /** `not configured` without REDIS_URL: memory needs no check. */
  storage: 'ok' | 'not configured' | string;
  /** Not once a shutdown has begun: the load balancer moves on while in-flight requests finish. */
  accepting: 'ok' | string;
}

export interface ReadinessReport {
  ready: boolean;
  /** The checks that are not ok (empty when ready). */
  missing: Array<keyof ReadinessChecks>;
  checks: ReadinessChecks;
  /** Reported beside readiness, never part of it. */
  legacy: LegacyReach;
}

export interface Readiness {
  check(): Promise<ReadinessReport>;
}

/**
 * Can this instance serve? Its configuration (loaded, or it would not run), its flags (a first
 * set in force), its store (reachable, when REDIS_URL is set), and it is not shutting down
 * (draining). Not the legacy API: when it is down, every instance would turn unready together
 * and leave the load balancer nothing, while each can still answer clear 502/504 problems and
 * serve its own pages. Its reachability rides along, as last known, so a hung legacy API never
 * slows this answer down.
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
  return {
    async check() {
      const store = deps.store ? await deps.store() : undefined;
      const checks: ReadinessChecks = {
        configuration: 'ok',
        flags: deps.flags.loaded() ? 'ok' : `not loaded yet${deps.flags.source === 'unleash' ? ': Unleash has not answered' : ''}`,
        storage: store === undefined ? 'not configured' : store.reachable ? 'ok' : (store.error ?? 'not reachable'),
        accepting: deps.draining() ? 'no: this instance is shutting down' : 'ok',
      };
      const missing = (Object.keys(checks) as Array<keyof ReadinessChecks>).filter((k) => checks[k] !== 'ok' && checks[k] !== 'not configured');
      // Load balancers ask every few seconds: a line when the answer changes, not per probe.
      const now = missing.join(',');
      if (now !== wasMissing) {
        if (now === 'accepting') deps.log.info('not ready: shutting down');
        else if (now) deps.log.warn({ missing, checks }, 'not ready');
        else deps.log.info('ready again');
        wasMissing = now;
      }
      return { ready: missing.length === 0, missing, checks, legacy: deps.legacy.latest() };
    },
  };
}
