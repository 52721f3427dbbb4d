import http from 'node:http';
import https from 'node:https';
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
 * One attempt's cancellation, by a direct call rather than an AbortSignal: in Node 20 the first
 * listener on a fresh AbortSignal costs about 10 us (bench/legacy-call-cost.ts), and a signal
 * handed to `http.request` attaches several; per legacy call that was more than a third of what
 * the proxy spent on it. The pipeline aborts it when the attempt times out (`timeout`) or the
 * call is over (`cancelled`); the attempt's work says what stopping it means.
 */
export class AttemptAbort {
  reason: 'timeout' | 'cancelled' | undefined;
  private stop: (() => void) | undefined;

  /** Registers how to stop the work in flight; runs it at once if the attempt is already aborted. */
  onAbort(stop: () => void): void {
    if (this.reason) stop();
    else this.stop = stop;
  }

  /** The call as a whole is over: not this attempt's fault. */
  isCancelled(): boolean {
    return this.reason === 'cancelled';
  }

  abort(reason: 'timeout' | 'cancelled'): void {
    if (this.reason) return;
    this.reason = reason;
    const stop = this.stop;
    this.stop = undefined;
    stop?.();
  }
}

/**
 * The migrated lane's own keep-alive pool to the legacy API (the catch-all has its own). Idle
 * sockets close after `keepAliveMs`, below the legacy server's own keep-alive timeout, so a
 * request never goes out on a socket the server is closing.
 */
export function createAttemptAgent(baseUrl: URL, keepAliveMs: number): http.Agent {
  const options: http.AgentOptions = { keepAlive: true, timeout: keepAliveMs, scheduling: 'lifo' };
  return baseUrl.protocol === 'https:' ? new https.Agent(options) : new http.Agent(options);
}

/**
 * One try at the legacy API, over node:http on the lane's keep-alive agent (msw intercepts it
 * in tests): about a third of what undici's fetch cost per call, which built a Request, Headers,
 * web streams and an AbortController of its own each time. `abort` says whether this attempt
 * timed out or the call as a whole was cancelled. `trace` (tracing on) adds the attempt's trace
 * context. Redirects are not followed (node:http never does): following one would send the
 * caller's credentials wherever the legacy API points, and a 3xx is an answer like any other.
 */
export async function sendAttempt(
  agent: http.Agent,
  endpoint: string,
  req: LegacyRequest,
  attemptTimeoutMs: number,
  abort: AttemptAbort,
  trace?: AttemptTrace,
): Promise<AttemptResult> {
  if (abort.isCancelled()) throw new CallCancelled();
  try {
    return await exchange(agent, req, trace === undefined ? req.headers : { ...req.headers, ...trace.headers }, abort);
  } catch (err) {
    if (abort.isCancelled()) throw new CallCancelled();
    if (abort.reason === 'timeout') {
      throw new LegacyCallError(endpoint, 'timeout', `no answer within ${attemptTimeoutMs} ms`);
    }
    throw new LegacyCallError(endpoint, 'transport', 'the legacy API could not be reached', undefined, {
      cause: err,
    });
  }
}

/** One request and its whole answer; rejects if the answer does not arrive complete. */
function exchange(agent: http.Agent, req: LegacyRequest, headers: Record<string, string>, abort: AttemptAbort): Promise<AttemptResult> {
  return new Promise((settleOk, settleFailed) => {
    // Once settled, an abort must not reach the request: its socket may be back in the pool.
    let settled = false;
    const resolve = (result: AttemptResult) => {
      settled = true;
      settleOk(result);
    };
    const reject = (err: unknown) => {
      settled = true;
      settleFailed(err);
    };
    const body = req.body === undefined ? undefined : Buffer.from(req.body, 'utf8');
    const outgoing = (req.url.protocol === 'https:' ? https : http).request(
      req.url,
      { method: req.method, headers: body === undefined ? headers : { ...headers, 'content-length': String(body.length) }, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.once('end', () => {
          // Inside an event handler a throw would be uncaught: a header fetch's Headers will not take is a transport fault.
          try {
            resolve({ status: res.statusCode ?? 0, headers: headersOf(res.rawHeaders), text: utf8(Buffer.concat(chunks)) });
          } catch (err) {
            reject(err);
          }
        });
        // Cut off mid-body (the socket closed, the attempt timed out): no answer.
        res.once('close', () => {
          if (!res.complete) reject(new Error('the answer was cut off'));
        });
        res.once('error', reject);
      },
    );
    outgoing.once('error', reject);
    abort.onAbort(() => {
      if (!settled) outgoing.destroy(new Error(`attempt ${abort.reason}`));
    });
    outgoing.end(body);
  });
}

function headersOf(raw: string[]): Headers {
  const headers = new Headers();
  for (let i = 0; i < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  return headers;
}

/** As fetch's text() decodes: UTF-8, a byte order mark dropped. */
function utf8(bytes: Buffer): string {
  const text = bytes.toString('utf8');
  return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
}
