import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import type { RequestState } from '../edge/request-state.ts';
import type { ShadowOutcome } from '../routing/shadow-stats.ts';

export interface ShadowSpan {
  /** Runs `fn` in the comparison's context: the migrated handler's legacy calls become its children. */
  run<T>(fn: () => T): T;
  /** Ends the span with the comparison's outcome: match, mismatch (and how many differences), error or skipped. */
  end(outcome: ShadowOutcome): void;
}

/**
 * A shadow comparison is a trace of its own, linked to the request that caused it: it
 * outlives the client's answer, and its calls (the migrated handler run on the side, the
 * calibration's second legacy call) are not part of what the client waited for. Traced only
 * when its request is (tracing/sampler.ts samples a root linked to a sampled span).
 */
export function startShadowSpan(state: RequestState): ShadowSpan | undefined {
  const t = state.trace;
  if (t === undefined || !t.span.isRecording()) return undefined;
  const span = t.tracing.tracer.startSpan(
    `shadow ${state.route}`,
    {
      kind: SpanKind.INTERNAL,
      root: true,
      links: [{ context: t.span.spanContext(), attributes: { 'strangler.link': 'request' } }],
      attributes: { 'strangler.route': state.route, 'strangler.correlation_id': state.correlationId },
    },
    ROOT_CONTEXT,
  );
  const context = trace.setSpan(t.tracing.active(), span);
  let ended = false;
  return {
    run: (fn) => t.tracing.withContext(context, fn),
    end(outcome) {
      if (ended) return;
      ended = true;
      span.setAttribute('strangler.shadow.result', outcome.result);
      if (outcome.result === 'mismatch') span.setAttribute('strangler.shadow.differences', outcome.differences.length);
      if (outcome.result === 'error' || outcome.result === 'skipped') span.setAttribute('strangler.shadow.reason', outcome.reason);
      if (outcome.result === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.reason });
      span.end();
    },
  };
}
