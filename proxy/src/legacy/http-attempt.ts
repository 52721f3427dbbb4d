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
 * the two are told apart.
 */
export async function sendAttempt(
  endpoint: string,
  req: LegacyRequest,
  attemptTimeoutMs: number,
  attemptSignal: AbortSignal,
  callSignal: AbortSignal,
): Promise<AttemptResult> {
  if (callSignal.aborted) throw new CallCancelled();
  try {
    const res = await fetch(req.url, {
      method: req.method,
      headers: req.headers,
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
