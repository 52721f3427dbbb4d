import { count, millis, percent } from '../status/format.ts';
import type { GuardSettings } from './guard-config.ts';
import type { WindowFigures } from './route-window.ts';

/** Rates are fractions: 0.1 - 0.05 is 0.05000000000000001, which must not count as beyond a 0.05 margin. */
const EPSILON = 1e-9;

export type RollbackReason = 'errors' | 'latency' | 'mismatches';

export interface Verdict {
  reason: RollbackReason;
  /** For people: `5xx 25% against legacy 0% over 120 requests (60 on the new route)`. */
  detail: string;
}

/**
 * Is the new route worse than the legacy API over the window? Each criterion judges only once
 * its minimum sample is there (on both sides, for the two that compare sides), and only a
 * difference beyond its margin counts. The first criterion that finds the route worse wins, in
 * the order 5xx, latency, mismatches. Null: not worse, or not enough to tell.
 */
export function judge(w: WindowFigures, s: GuardSettings): Verdict | null {
  const { legacy, migrated } = w;
  const bothSides = (min: number) => migrated.requests >= min && legacy.requests >= min;
  const over = `over ${count(legacy.requests + migrated.requests)} requests (${count(migrated.requests)} on the new route)`;

  if (s.errors && bothSides(s.errors.minSample)) {
    const mine = migrated.errors5xx / migrated.requests;
    const theirs = legacy.errors5xx / legacy.requests;
    if (mine - theirs > s.errors.margin + EPSILON) return { reason: 'errors', detail: `5xx ${percent(mine)} against legacy ${percent(theirs)} ${over}` };
  }
  if (s.latency && bothSides(s.latency.minSample) && migrated.p95Ms !== null && legacy.p95Ms !== null) {
    if (migrated.p95Ms - legacy.p95Ms > s.latency.marginMs) {
      return { reason: 'latency', detail: `p95 ${millis(migrated.p95Ms)} against legacy ${millis(legacy.p95Ms)} ${over}` };
    }
  }
  const shadow = w.shadow;
  if (s.mismatches && shadow.compared >= s.mismatches.minSample) {
    const rate = shadow.bad / shadow.compared;
    if (rate > s.mismatches.margin + EPSILON) {
      return { reason: 'mismatches', detail: `shadow mismatches ${percent(rate)} of ${count(shadow.compared)} compared (at most ${percent(s.mismatches.margin)} allowed)` };
    }
  }
  return null;
}
