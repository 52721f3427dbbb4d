import type { IncomingMessage, ServerResponse } from 'node:http';
import { problems, sendProblem } from '../edge/problem.ts';
import { hasBody } from '../edge/body-pace.ts';
import { refuse, stateOf, type RequestState } from '../edge/request-state.ts';

/**
 * Each client's share of the keep-alive pool to the legacy API: at most `perClient` of its
 * requests in flight through the catch-all at once. Beyond that, the request is refused at
 * once rather than queued behind the pool, so one client (280 slow uploads from one address)
 * cannot hold every legacy socket while everyone else waits.
 *
 * The refusal is a 429 with Retry-After: it is this client's own concurrency that is over
 * the limit, and other clients are being served. A 503 would say the service is down:
 * monitoring would page, and load balancers that retry 5xx on another instance would
 * multiply exactly the load being refused.
 *
 * In-process counts, O(1) per request: one Map lookup and update on the way in, and on the
 * way out `release`, which the edge's one 'close' listener calls (edge/finished.ts), so a
 * request pays for no listener of its own. They are per instance on purpose: the pool they
 * protect is this instance's own.
 */

export interface ClientShare {
  /** Counts the request against its client's share until `release`; over the share, answers 429 and returns false. */
  admit(req: IncomingMessage, res: ServerResponse): boolean;
  /** The response of a request is over (whether it was admitted or not). */
  release(done: RequestState): void;
  /** Requests in flight for this client key (for tests and diagnostics). */
  inFlight(key: string): number;
}

/**
 * `clientKey` says who the client is: the connecting address, or behind trusted hops the
 * address the outermost of them saw (edge/forwarded.ts), so that clients behind one load
 * balancer do not share one share.
 */
export function createClientShare(opts: { perClient: number; clientKey: (req: IncomingMessage) => string }): ClientShare {
  const counts = new Map<string, number>();

  return {
    admit(req, res) {
      const key = opts.clientKey(req);
      const n = counts.get(key) ?? 0;
      if (n >= opts.perClient) {
        const detail = `Too many requests from this client are in progress at once (at most ${opts.perClient}). Retry when one has finished.`;
        // An unread body would otherwise be read to its end just to keep the connection.
        const headers: Record<string, string> = hasBody(req) ? { 'retry-after': '1', connection: 'close' } : { 'retry-after': '1' };
        refuse(req, 'too-many-requests');
        sendProblem(res, problems.tooManyRequests(detail), stateOf(req).correlationId, headers);
        return false;
      }
      counts.set(key, n + 1);
      stateOf(req).shareKey = key;
      return true;
    },
    release(done) {
      const key = done.shareKey;
      if (key === undefined) return;
      done.shareKey = undefined;
      const left = (counts.get(key) ?? 1) - 1;
      if (left === 0) counts.delete(key);
      else counts.set(key, left);
    },
    inFlight: (key) => counts.get(key) ?? 0,
  };
}
