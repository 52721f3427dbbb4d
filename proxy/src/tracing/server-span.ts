import type { IncomingMessage } from 'node:http';
import { SpanKind, SpanStatusCode, trace, type Context } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import {
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
} from '@opentelemetry/semantic-conventions';
import { redactUrl } from '../edge/redact.ts';
import type { FinishedRequest, RequestState } from '../edge/request-state.ts';
import { incomingContext, setOutgoingContext, traceparentOf } from './propagation.ts';
import type { Tracing } from './provider.ts';
import type { RequestTrace } from './request-trace.ts';

/**
 * The server span of a request, from its arrival (app.ts `arrive`) to the edge's finished hook.
 * It continues the client's trace when the request carries a valid traceparent, and it is
 * the parent the legacy API is told about: the catch-all forwards the request's traceparent,
 * which is set to this span's here.
 */
export function startServerSpan(tracing: Tracing, req: IncomingMessage, state: RequestState): void {
  const span = tracing.tracer.startSpan(state.method, { kind: SpanKind.SERVER }, incomingContext(req.headers));
  // Most requests are not sampled at a low ratio: what only a recorded span needs waits for that.
  if (span.isRecording()) {
    // The same redaction as the log line: secret query values never leave the proxy.
    const url = redactUrl(state.url);
    const q = url.indexOf('?');
    span.setAttribute(ATTR_HTTP_REQUEST_METHOD, state.method);
    span.setAttribute(ATTR_URL_PATH, q === -1 ? url : url.slice(0, q));
    if (q !== -1) span.setAttribute(ATTR_URL_QUERY, url.slice(q + 1));
    span.setAttribute('strangler.correlation_id', state.correlationId);
  }
  const ids = span.spanContext();
  const traceparent = traceparentOf(ids);
  setOutgoingContext(req.headers, ids, traceparent);
  state.trace = { tracing, span, traceId: ids.traceId, spanId: ids.spanId, response: traceparent };
}

/** The context with the request's span active: the parent of its legacy calls (app.ts runs the Express lane in it). */
export function requestContext(t: RequestTrace): Context {
  return trace.setSpan(t.tracing.active(), t.span);
}

/**
 * What the request became, set once it is over (a listener of edge/finished.ts, so it runs in
 * the hook's batches like the log line): the route, who served it, the flags' decision, the
 * status. The span ends when the response did, not when the batch ran.
 */
export function endServerSpan(done: FinishedRequest): void {
  const t = done.trace;
  if (t === undefined || !t.span.isRecording()) return;
  const span = t.span;
  span.updateName(`${done.method} ${done.route}`);
  span.setAttribute(ATTR_HTTP_ROUTE, done.route);
  span.setAttribute('strangler.served_by', done.servedBy);
  span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, done.status);
  if (done.decision !== undefined) span.setAttribute('strangler.decision', done.decision);
  if (done.refusal !== undefined) span.setAttribute('strangler.refusal', done.refusal);
  // 499: the client left before the answer was out (as nginx counts it).
  if (done.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `answered ${done.status}` });
  // The batch runs up to 10 ms later: the span ends when the response did.
  span.end(hrTimeToMilliseconds((span as unknown as ReadableSpan).startTime) + done.seconds * 1000);
}

/**
 * The identity step, as an event on the server span: what kind of caller this is (session,
 * legacy-jwt, anonymous...) and, for a refused token, why. Never the token, nor the user id:
 * the log line does not carry it either.
 */
export function noteIdentity(state: RequestState, kind: string, reason?: string): void {
  const span = state.trace?.span;
  if (span === undefined || !span.isRecording()) return;
  span.addEvent('identity resolved', reason === undefined ? { 'strangler.identity.kind': kind } : { 'strangler.identity.kind': kind, 'strangler.identity.reason': reason });
}
