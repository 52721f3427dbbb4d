import { problems, type Problem } from '../edge/problem.ts';

/**
 * Why a call to the legacy API gave no usable answer.
 * - `timeout`: one attempt ran out of time (and no retry rescued it);
 * - `deadline`: the call's whole budget ran out (queue, attempts and backoff);
 * - `circuit-open`: the endpoint's breaker is open, the call failed fast;
 * - `bulkhead-full`: too many calls to the endpoint already running and queued;
 * - `transport`: no HTTP answer (connection refused, reset, DNS...);
 * - `status`: an HTTP answer that is not usable (see `status`), or a 2xx body that is not JSON;
 * - `aborted`: the caller went away (its AbortSignal fired).
 */
export type LegacyCallErrorKind =
  | 'timeout'
  | 'deadline'
  | 'circuit-open'
  | 'bulkhead-full'
  | 'transport'
  | 'status'
  | 'aborted';

/**
 * The one error the legacy client throws. Its message is safe to log: it names the
 * endpoint and what went wrong, never a URL, a query string, a header or a body.
 */
export class LegacyCallError extends Error {
  override readonly name = 'LegacyCallError';

  constructor(
    readonly endpoint: string,
    readonly kind: LegacyCallErrorKind,
    message: string,
    /** For kind `status`: the status the legacy API answered. */
    readonly status?: number,
    options?: { cause?: unknown },
  ) {
    super(`legacy ${endpoint}: ${message}`, options);
  }
}

export function isLegacyCallError(err: unknown): err is LegacyCallError {
  return err instanceof LegacyCallError;
}

/**
 * The problem+json answer for a legacy failure a handler did not handle itself.
 * Statuses that say something about the caller (401, 403, 404) keep their meaning;
 * everything else is the legacy API's fault: 502, 503 or 504 (503 when it said "not now": 429 or 503). (A 4xx that `send` hands back and
 * the handler relays is an answer, not a failure: rejection-problem.ts makes that a problem.)
 */
export function legacyProblem(err: LegacyCallError): Problem {
  switch (err.kind) {
    case 'timeout':
    case 'deadline':
      return problems.gatewayTimeout();
    case 'circuit-open':
    case 'bulkhead-full':
      return problems.serviceUnavailable('The legacy API is unavailable right now. Try again shortly.');
    case 'transport':
    case 'aborted':
      return problems.badGateway();
    case 'status':
      if (err.status === 401) return problems.unauthorized();
      if (err.status === 403) return problems.forbidden();
      if (err.status === 404) return problems.notFound();
      // "Not now" (a rate limit, an overload) once retries are spent: the same answer as an open
      // breaker, not a 502 that tells the user's team the legacy API is broken.
      if (err.status === 429 || err.status === 503) return problems.serviceUnavailable('The legacy API is unavailable right now. Try again shortly.');
      return problems.badGateway('The legacy API gave an answer the proxy could not use.');
  }
}
