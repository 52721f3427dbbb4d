import { SpanKind, SpanStatusCode, type Attributes } from '@opentelemetry/api';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_REQUEST_RESEND_COUNT,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_FULL,
  ATTR_URL_PATH,
} from '@opentelemetry/semantic-conventions';
import { redactUrl } from '../edge/redact.ts';
import { isLegacyCallError } from '../legacy/errors.ts';
import type { LegacyTracing } from '../legacy/http-attempt.ts';
import { traceparentOf } from './propagation.ts';
import type { Tracing } from './provider.ts';

/**
 * Migrated routes' legacy calls, as spans under the request's span (or the shadow
 * comparison's): one CLIENT span per attempt, so a retry shows as attempt 2 beside the
 * attempt that failed, and one short INTERNAL span per cache hit (an answer that made no call).
 * Each attempt sends its own span as the legacy API's parent. The parent is the context active
 * where the route's handler called `ctx.legacy` (app.ts runs the Express lane in the request's).
 */
export function legacyCallTracing(tracing: Tracing): LegacyTracing {
  return {
    call(routeId, endpoint, req, cacheable) {
      const parent = tracing.active();
      // Built once per call, and only for spans that are recorded (an unsampled request's are not).
      let base: Attributes | undefined;
      const attributesOf = (): Attributes =>
        (base ??= {
          [ATTR_HTTP_REQUEST_METHOD]: req.method,
          [ATTR_URL_FULL]: redactUrl(req.url.href),
          [ATTR_SERVER_ADDRESS]: req.url.hostname,
          [ATTR_SERVER_PORT]: Number(req.url.port) || (req.url.protocol === 'https:' ? 443 : 80),
          'strangler.route': routeId,
          'strangler.legacy.endpoint': endpoint,
          // Only a call that could have been answered from the cache says it was not.
          ...(cacheable ? { 'strangler.cache.hit': false } : {}),
        });
      return {
        attempt(number, breaker) {
          const span = tracing.tracer.startSpan(`${req.method} ${endpoint}`, { kind: SpanKind.CLIENT }, parent);
          if (span.isRecording()) {
            span.setAttributes(attributesOf());
            span.setAttribute('strangler.legacy.attempt', number);
            span.setAttribute('strangler.breaker.state', breaker);
            if (number > 1) span.setAttribute(ATTR_HTTP_REQUEST_RESEND_COUNT, number - 1);
          }
          const ids = span.spanContext();
          const state = ids.traceState?.serialize();
          const headers: Record<string, string> = state ? { traceparent: traceparentOf(ids), tracestate: state } : { traceparent: traceparentOf(ids) };
          return {
            headers,
            end(outcome) {
              if ('status' in outcome) {
                span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
                // As the breaker counts: a 4xx is an answer about the request, not a failure of the call.
                if (outcome.status >= 500) {
                  span.setAttribute(ATTR_ERROR_TYPE, String(outcome.status));
                  span.setStatus({ code: SpanStatusCode.ERROR, message: `the legacy API answered ${outcome.status}` });
                }
              } else {
                const err = outcome.error;
                span.setAttribute(ATTR_ERROR_TYPE, isLegacyCallError(err) ? err.kind : 'error');
                span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : 'failed' });
              }
              span.end();
            },
          };
        },
      };
    },
    cacheHit(routeId, endpoint, path) {
      const span = tracing.tracer.startSpan(`cache ${endpoint}`, { kind: SpanKind.INTERNAL }, tracing.active());
      if (!span.isRecording()) return;
      span.setAttributes({ 'strangler.route': routeId, 'strangler.legacy.endpoint': endpoint, 'strangler.cache.hit': true, [ATTR_URL_PATH]: redactUrl(path).split('?')[0]! });
      span.end();
    },
  };
}
