import type { AttemptResult } from './http-attempt.ts';
import { isLegacyCallError } from './errors.ts';

export type BreakerState = 'closed' | 'open' | 'half-open';

/**
 * How one call to a legacy endpoint ended, as the metrics and the status page count it. A call
 * is one `ctx.legacy.get/send` that reached the resilience pipeline (a cache hit is not one),
 * retries included. `4xx` is an answer, not an error; `aborted` is the caller leaving.
 */
export type CallOutcome = 'ok' | '4xx' | '5xx' | 'timeout' | 'network' | 'breaker-open' | 'bulkhead-rejected' | 'aborted' | 'error';

/** The outcomes that count as errors of the endpoint (or of the proxy's protection in front of it). */
export const ERROR_OUTCOMES: readonly CallOutcome[] = ['5xx', 'timeout', 'network', 'breaker-open', 'bulkhead-rejected', 'error'];

/** What one endpoint's pipeline (or the cache in front of it) reports. */
export type EndpointEvent =
  | { type: 'call'; outcome: CallOutcome; seconds: number }
  /** An attempt failed and another follows. */
  | { type: 'retry' }
  /** The breaker moved to `state`. */
  | { type: 'breaker'; state: BreakerState }
  /** The bulkhead had no slot and no queue room left. */
  | { type: 'bulkhead-rejected' }
  /** `hit`: answered without a call of its own (a stored answer, or another request's call in flight). */
  | { type: 'cache'; hit: boolean };

export type LegacyCallEvent = EndpointEvent & { route: string; endpoint: string };
export type LegacyCallListener = (event: LegacyCallEvent) => void;

export interface CallEvents {
  emit(event: LegacyCallEvent): void;
  /** Subscribes (metrics, the status page's figures); returns the unsubscribe function. */
  on(listener: LegacyCallListener): () => void;
}

export function createCallEvents(): CallEvents {
  const listeners = new Set<LegacyCallListener>();
  return {
    emit(event) {
      for (const listener of listeners) {
        try {
          listener(event);
        } catch {
          // Counting is best effort: it must never reach the call.
        }
      }
    },
    on(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

export function answerOutcome(result: AttemptResult): CallOutcome {
  return result.status >= 500 ? '5xx' : result.status >= 400 ? '4xx' : 'ok';
}

/** A failed call's outcome from the LegacyCallError the pipeline throws. */
export function errorOutcome(err: unknown): CallOutcome {
  if (!isLegacyCallError(err)) return 'error';
  switch (err.kind) {
    case 'timeout':
    case 'deadline':
      return 'timeout';
    case 'transport':
      return 'network';
    case 'circuit-open':
      return 'breaker-open';
    case 'bulkhead-full':
      return 'bulkhead-rejected';
    case 'aborted':
      return 'aborted';
    case 'status':
      return (err.status ?? 500) >= 500 ? '5xx' : '4xx';
  }
}
