import { LegacyCallError } from './errors.ts';

export interface LegacyRequest {
  method: string;
  url: URL;
  headers: Record<string, string>;
  body?: string;
}

/** One HTTP answer, whatever its status; the body is read inside the attempt's time. */
export interface AttemptResult {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * Tracing's view of one legacy call (proxy/src/tracing/legacy-call-span.ts); absent while
 * tracing is off. The legacy client knows nothing of OpenTelemetry: it reports attempts and
 * cache hits here, and sends the headers it is given.
 */
export interface LegacyTracing {
  /** A call about to go through the endpoint's pipeline, in the active request's trace. */
  call(routeId: string, endpoint: string, req: LegacyRequest, cacheable: boolean): CallTrace;
  /** A cached answer (or another request's call in flight) served this one: no call of its own. */
  cacheHit(routeId: string, endpoint: string, path: string): void;
}

export interface CallTrace {
  /** One attempt (1, 2, ...) as the breaker stood when it began. */
  attempt(number: number, breaker: 'closed' | 'open' | 'half-open'): AttemptTrace;
}

export interface AttemptTrace {
  /** The attempt's `traceparent` (and `tracestate`): the legacy API's spans become its children. */
  readonly headers: Readonly<Record<string, string>>;
  /** How the attempt ended: an HTTP answer, or the error that stopped it (a LegacyCallError, mostly). */
  end(outcome: { status: number } | { error: unknown }): void;
}

/**
 * The call as a whole was cancelled (the caller went away or the deadline passed).
 * Not the endpoint's fault: neither the breaker nor the retry counts it.
 */
export class CallCancelled extends Error {
  override readonly name = 'CallCancelled';
}

/**
 * One try at the legacy API with Node's global fetch (undici's default keep-alive
 * dispatcher; msw intercepts it in tests). `attemptSignal` fires when this attempt
 * times out or the call is cancelled; `callSignal` only for the latter, which is how
 * the two are told apart. `trace` (tracing on) adds the attempt's trace context.
 */
export async function sendAttempt(
  endpoint: string,
  req: LegacyRequest,
  attemptTimeoutMs: number,
  attemptSignal: AbortSignal,
  callSignal: AbortSignal,
  trace?: AttemptTrace,
): Promise<AttemptResult> {
  if (callSignal.aborted) throw new CallCancelled();
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: trace === undefined ? req.headers : { ...req.headers, ...trace.headers },
      body: req.body,
      signal: attemptSignal,
      // Following a redirect would send the caller's credentials wherever the legacy
      // API points; a 3xx is an answer like any other.
      redirect: 'manual',
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text };
  } catch (err) {
    if (callSignal.aborted) throw new CallCancelled();
    if (attemptSignal.aborted) {
      throw new LegacyCallError(endpoint, 'timeout', `no answer within ${attemptTimeoutMs} ms`);
    }
    throw new LegacyCallError(endpoint, 'transport', 'the legacy API could not be reached', undefined, {
      cause: err,
    });
  }
}
