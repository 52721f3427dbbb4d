import {
  BrokenCircuitError,
  BulkheadRejectedError,
  CircuitState,
  ConsecutiveBreaker,
  DelegateBackoff,
  bulkhead,
  circuitBreaker,
  handleType,
  handleWhen,
  retry,
} from 'cockatiel';
import type { Logger } from 'pino';
import { backoffDelayMs, retryAfterMs } from './backoff.ts';
import { answerOutcome, errorOutcome, type BreakerState, type EndpointEvent } from './call-events.ts';
import { LegacyCallError } from './errors.ts';
import { AttemptAbort, CallCancelled, type AttemptResult, type AttemptTrace, type CallTrace } from './http-attempt.ts';
import type { EndpointPolicy } from './policies.ts';
import { rejectionLog } from './rejection-log.ts';

export type { BreakerState } from './call-events.ts';

/** Statuses worth another try: the same request may well succeed a moment later. */
const TRANSIENT_STATUSES = new Set([408, 429, 500, 502, 503, 504]);

/** What the breaker holds against the endpoint. Other 4xx are answers about the request. */
const isFailureStatus = (status: number) => status >= 500 || status === 408 || status === 429;

const isUpstreamFault = (err: Error) =>
  err instanceof LegacyCallError && (err.kind === 'transport' || err.kind === 'timeout');

export interface PipelineCall {
  /** One attempt: `abort` fires on the attempt timeout or when the call is over; `trace` is the attempt's span (tracing on). */
  send(abort: AttemptAbort, trace?: AttemptTrace): Promise<AttemptResult>;
  /** The caller's signal: the client went away. */
  signal?: AbortSignal;
  /** Only idempotent calls are ever retried. */
  retryable: boolean;
  /** The call's logger (with its correlation id), asked for only when there is something to log. */
  log(): Logger;
  /** Tracing on: each attempt gets a span, ended with its outcome. */
  trace?: CallTrace;
}

export interface EndpointPipeline {
  readonly key: string;
  readonly policy: EndpointPolicy;
  /** Resolves with any HTTP answer (the caller decides what a status means); throws LegacyCallError. */
  run(call: PipelineCall): Promise<AttemptResult>;
  state(): BreakerState;
}

type Outcome = { ok: true; result: AttemptResult } | { ok: false; error: unknown };

/** How a failed attempt tells cockatiel's retry loop to go again, and after how long. */
class RetryLater extends Error {
  constructor(
    readonly outcome: Outcome,
    readonly delayMs: number,
  ) {
    super('retry later');
  }
}

/**
 * The resilience of one (route, endpoint), built once and shared by every request:
 *
 *   deadline -> retry -> bulkhead -> breaker -> attempt timeout -> send
 *
 * The deadline is outermost and aggressive, so it bounds everything, backoff waits
 * included, and answers at once when the caller aborts. The retry wraps the breaker so
 * that the breaker sees single attempts. The bulkhead is per attempt (a backoff wait
 * holds no slot) and sits outside the breaker: a rejected call must not look like a
 * successful probe to a half-open breaker.
 *
 * Whether to retry is decided per call, where the deadline is known: a Retry-After
 * that ends past the deadline gives up at once with the upstream's answer rather
 * than waiting to fail.
 *
 * The breaker counts transport errors, attempt timeouts, 5xx, 408 and 429. A cancelled
 * call (caller gone, deadline) counts for nothing, except that cockatiel closes a
 * half-open breaker whose probe ends that way; the next failures re-open it.
 *
 * The deadline and the attempt timeout are two timers of our own, not cockatiel's timeout
 * policy, and a call's end reaches its attempt by a direct call, not an AbortSignal: cockatiel
 * derives an AbortController per policy and call and listens on it and on its parent, and in
 * Node 20 creating a signal costs some 7 us, its first listener as much again and an abort 30;
 * the two timeout policies cost some 45 us a call (bench/legacy-call-cost.ts). The retry, the
 * bulkhead and the breaker stay cockatiel's, without a signal: the attempt itself refuses to
 * start once the call is over, and no retry is asked for then.
 *
 * `emit` hears what the policies do (calls and their outcome, retries, breaker moves,
 * bulkhead rejections) for the metrics and the status page; a rejection is also logged.
 */
export function createEndpointPipeline(
  key: string,
  endpoint: string,
  policy: EndpointPolicy,
  log: Logger,
  emit: (event: EndpointEvent) => void = () => {},
): EndpointPipeline {
  const retries = retry(handleType(RetryLater), {
    maxAttempts: policy.retries,
    backoff: new DelegateBackoff((ctx) =>
      'error' in ctx.result && ctx.result.error instanceof RetryLater ? ctx.result.error.delayMs : 0,
    ),
  })
    // The deadline answers the caller at once; an abandoned backoff sleep runs out (unref'd,
    // so it holds nothing up) and the attempt after it is refused because the call is over:
    // nothing reaches upstream.
    .dangerouslyUnref();
  const slots = bulkhead(policy.bulkhead.maxConcurrent, policy.bulkhead.maxQueue);
  const breaker = circuitBreaker(
    handleWhen(isUpstreamFault).orWhenResult((r) => isFailureStatus((r as AttemptResult).status)),
    {
      halfOpenAfter: policy.breaker.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(policy.breaker.consecutiveFailures),
    },
  );

  let openedAt = 0;
  breaker.onBreak(() => {
    openedAt = Date.now();
    log.warn({ breaker: key, halfOpenAfterMs: policy.breaker.halfOpenAfterMs }, 'legacy circuit opened');
  });
  breaker.onHalfOpen(() => log.info({ breaker: key }, 'legacy circuit half-open: probing'));
  breaker.onReset(() => log.info({ breaker: key }, 'legacy circuit closed'));
  breaker.onStateChange((state) => emit({ type: 'breaker', state: stateWord(state) }));
  const warnRejected = rejectionLog(log, key, policy.bulkhead);
  slots.onReject(() => {
    emit({ type: 'bulkhead-rejected' });
    warnRejected();
  });

  function retryDelay(outcome: Outcome, retryNo: number, deadlineAt: number): number | undefined {
    let hinted: number | undefined;
    if (outcome.ok) {
      if (!TRANSIENT_STATUSES.has(outcome.result.status)) return undefined;
      hinted = retryAfterMs(outcome.result.headers.get('retry-after'));
    } else if (!(outcome.error instanceof Error && isUpstreamFault(outcome.error))) {
      return undefined;
    }
    const delayMs = hinted ?? backoffDelayMs(retryNo, policy.backoffBaseMs, policy.backoffMaxMs);
    return Date.now() + delayMs < deadlineAt ? delayMs : undefined;
  }

  function toCallError(err: unknown, callerSignal: AbortSignal | undefined): unknown {
    if (callerSignal?.aborted) return new LegacyCallError(endpoint, 'aborted', 'the caller went away');
    if (err instanceof LegacyCallError) return err;
    if (err instanceof BrokenCircuitError) {
      return new LegacyCallError(endpoint, 'circuit-open', 'circuit open after repeated failures; failing fast');
    }
    if (err instanceof BulkheadRejectedError) {
      return new LegacyCallError(endpoint, 'bulkhead-full', 'too many calls in flight; rejected');
    }
    if (err instanceof CallCancelled) {
      return new LegacyCallError(endpoint, 'deadline', `no usable answer within ${policy.deadlineMs} ms`);
    }
    return err;
  }

  /**
   * One attempt through bulkhead, breaker and attempt timeout; settled, so the retry can judge
   * it. Its span (tracing on) covers the refusals too: an open breaker or a full bulkhead is
   * an attempt that never left, and the trace says which.
   */
  function attemptOnce(send: PipelineCall['send'], call: CallScope, callerSignal: AbortSignal | undefined, trace: AttemptTrace | undefined): Promise<Outcome> {
    const timed = async () => {
      const abort = new AttemptAbort();
      call.attempt = abort;
      const timer = setTimeout(() => abort.abort('timeout'), policy.attemptTimeoutMs);
      try {
        // Waited in the bulkhead's queue past the call's end, or sent after an abandoned backoff.
        if (call.over) abort.abort('cancelled');
        return await send(abort, trace);
      } finally {
        clearTimeout(timer);
        if (call.attempt === abort) call.attempt = undefined;
      }
    };
    // A call that ended while it waited for a slot leaves without touching the breaker.
    const guarded = () => (call.over ? Promise.reject(new CallCancelled()) : breaker.execute(timed));
    return slots.execute(guarded).then(
      (result) => {
        trace?.end({ status: result.status });
        return { ok: true, result };
      },
      (error: unknown) => {
        trace?.end({ error: toCallError(error, callerSignal) });
        return { ok: false, error };
      },
    );
  }

  function breakerState(): BreakerState {
    const state = stateWord(breaker.state);
    // cockatiel moves to half-open only when the next call arrives; the status
    // page should already say that the next call will be let through as a probe.
    if (state === 'open' && Date.now() - openedAt >= policy.breaker.halfOpenAfterMs) return 'half-open';
    return state;
  }

  return {
    key,
    policy,
    async run({ send, signal, retryable, log: callLog, trace }) {
      const deadlineAt = Date.now() + policy.deadlineMs;
      const call = new CallScope();
      const attemptWithRetries = () =>
        retries.execute(async ({ attempt }) => {
          // cockatiel counts attempts from 0; people (and the trace) from 1.
          const outcome = await attemptOnce(send, call, signal, trace?.attempt(attempt + 1, breakerState()));
          const delayMs = retryable && !call.over && attempt < policy.retries ? retryDelay(outcome, attempt + 1, deadlineAt) : undefined;
          if (delayMs !== undefined) {
            emit({ type: 'retry' });
            callLog().warn({ endpoint, retry: attempt + 1, delayMs, reason: describe(outcome) }, 'legacy call failed; retrying');
            throw new RetryLater(outcome, delayMs);
          }
          if (outcome.ok) return outcome.result;
          throw outcome.error;
        });
      const startedAt = performance.now();
      const seconds = () => (performance.now() - startedAt) / 1000;
      // Aggressive: the caller hears of the deadline (or its own leaving) at once, whatever the
      // attempt in flight is doing; that attempt is aborted and its outcome no longer matters.
      const over = new Promise<never>((_resolve, reject) => {
        call.onEnd = reject;
      });
      const timer = setTimeout(() => call.end(), policy.deadlineMs);
      const callerLeft = () => call.end();
      if (signal?.aborted) call.end();
      else signal?.addEventListener('abort', callerLeft, { once: true });
      try {
        const result = await Promise.race([attemptWithRetries(), over]);
        emit({ type: 'call', outcome: answerOutcome(result), seconds: seconds() });
        return result;
      } catch (err) {
        // A RetryLater never gets here from the race: the loop only stops retrying once the
        // call is over, and by then the deadline has already answered.
        const failure = toCallError(err, signal);
        emit({ type: 'call', outcome: errorOutcome(failure), seconds: seconds() });
        throw failure;
      } finally {
        clearTimeout(timer);
        signal?.removeEventListener('abort', callerLeft);
      }
    },
    state: breakerState,
  };
}

/**
 * One call through the pipeline: `over` once the deadline passed or the caller left, `attempt`
 * the attempt in flight, `end` what either calls. A plain object, not an AbortController: in
 * Node 20 a controller's signal costs some 7 us to create and its abort about 30 (a
 * DOMException with a stack), per call (bench/legacy-call-cost.ts).
 */
class CallScope {
  over = false;
  attempt: AttemptAbort | undefined;
  onEnd: ((reason: CallCancelled) => void) | undefined;

  end(): void {
    if (this.over) return;
    this.over = true;
    this.attempt?.abort('cancelled');
    this.onEnd?.(new CallCancelled());
  }
}

function stateWord(state: CircuitState): BreakerState {
  if (state === CircuitState.Closed) return 'closed';
  if (state === CircuitState.HalfOpen) return 'half-open';
  return 'open'; // Open, or Isolated by hand
}

function describe(outcome: Outcome): string {
  if (outcome.ok) return `status ${outcome.result.status}`;
  return outcome.error instanceof LegacyCallError ? outcome.error.kind : 'error';
}
