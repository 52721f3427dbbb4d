import type { FinishedListener } from '../edge/finished.ts';
import { createLegacyProbe } from './legacy-probe.ts';
import { createTrafficJudge } from './legacy-traffic-judge.ts';

/** Whether the legacy API answers, as this instance last knew it. */
export interface LegacyReach {
  /** null: not known yet (judged from traffic, and no request has reached the catch-all yet). */
  reachable: boolean | null;
  /** `probe`: GET `path` on the legacy API; `traffic`: the catch-all's latest outcomes (LEGACY_HEALTH_PATH=none). */
  judgedBy: 'probe' | 'traffic';
  /** The probed path (probe only). */
  path?: string;
  /** How long the probe's answer took; null without one (and always when judged from traffic). */
  latencyMs: number | null;
  /** When this was established: the probe's answer, or the latest catch-all outcome. */
  checkedAt: string | null;
  /** Why it is not reachable, in a few words. */
  error?: string;
  /** Why it is not known yet. */
  note?: string;
}

/**
 * The legacy API's reachability, reported beside readiness (never folded into it: one legacy
 * outage must not take every instance out of the load balancer while each could still answer
 * 502/504 problems and serve its own pages), on the status page and as a metric.
 */
export interface LegacyReachability {
  readonly judgedBy: 'probe' | 'traffic';
  /** A current judgement: the probe runs when its last answer is older than a second. */
  check(): Promise<LegacyReach>;
  /** The last judgement at once, never waiting on the legacy API (a stale one starts a fresh probe). */
  latest(): LegacyReach;
  /** What the edge's finished hook must give it: the catch-all's outcomes (traffic only; else none). */
  readonly finishedListeners: readonly FinishedListener[];
}

/** LEGACY_HEALTH_PATH: a path to probe, or null to judge from traffic. */
export function createLegacyReachability(opts: { legacyUrl: string; healthPath: string | null }): LegacyReachability {
  return opts.healthPath === null ? createTrafficJudge() : createLegacyProbe({ legacyUrl: opts.legacyUrl, path: opts.healthPath });
}
