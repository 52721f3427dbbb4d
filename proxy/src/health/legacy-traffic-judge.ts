import type { FinishedRequest } from '../edge/request-state.ts';
import type { LegacyReach, LegacyReachability } from './legacy-reachability.ts';

/**
 * Failures in a row that make the legacy API unreachable: one timeout is not an outage.
 * YARP's ConsecutiveFailuresHealthPolicy defaults to the same.
 */
export const FAILURES_TO_UNREACHABLE = 2;

/**
 * For a legacy API with nothing to probe (LEGACY_HEALTH_PATH=none): judged from what the
 * catch-all got. A 502 or 504 is a failure: the proxy could not reach the legacy API or had no
 * answer in time (or a gateway in front of the legacy application said the same), whether the
 * request is recorded as the legacy API's or as the proxy's own answer. Any other answer served
 * by the legacy API, whatever its status, is a success. A client that left (499) and the
 * proxy's other refusals (identity, pace, share) say nothing.
 *
 * It runs in the finished hook's batches, on every catch-all request: a few comparisons and
 * number stores, nothing allocated.
 */
export function createTrafficJudge(now: () => number = Date.now): LegacyReachability {
  let failuresInARow = 0;
  let answered = false;
  let lastAt = 0;
  let lastFailure = 0;

  function record(done: FinishedRequest): void {
    if (done.route !== 'catch-all' || done.status === 499) return;
    if (done.status === 502 || done.status === 504) {
      failuresInARow++;
      lastFailure = done.status;
    } else if (done.servedBy === 'legacy') {
      failuresInARow = 0;
      answered = true;
    } else return;
    lastAt = now();
  }

  function latest(): LegacyReach {
    const checkedAt = lastAt === 0 ? null : new Date(lastAt).toISOString();
    const judged = { judgedBy: 'traffic', latencyMs: null, checkedAt } as const;
    if (failuresInARow >= FAILURES_TO_UNREACHABLE) {
      const latestFailure = lastFailure === 504 ? '504, no answer in time' : '502, could not reach it';
      return { ...judged, reachable: false, error: `the last ${failuresInARow} catch-all requests got no answer from it (the latest: ${latestFailure})` };
    }
    if (answered) return { ...judged, reachable: true };
    return { ...judged, reachable: null, note: 'not known yet: no catch-all request has been answered on this instance' };
  }

  return {
    judgedBy: 'traffic',
    finishedListeners: [record],
    check: async () => latest(),
    latest,
  };
}
