import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { context, defaultTextMapGetter, defaultTextMapSetter, ROOT_CONTEXT, type Context, type SpanContext } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { stateOf } from '../edge/request-state.ts';

/** W3C Trace Context in and out: `traceparent`/`tracestate` on requests, `traceresponse` on answers. */

const w3c = new W3CTraceContextPropagator();

/** The trace the client's request belongs to, when its traceparent is valid; else a new trace starts. */
export function incomingContext(headers: IncomingHttpHeaders): Context {
  if (headers.traceparent === undefined) return ROOT_CONTEXT;
  return w3c.extract(ROOT_CONTEXT, headers, defaultTextMapGetter);
}

/** `00-<trace id>-<span id>-<flags>`: the traceparent (and traceresponse) format of version 00. */
export function traceparentOf(span: SpanContext): string {
  return `00-${span.traceId}-${span.spanId}-${(span.traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * The request as it goes on to the legacy API carries the proxy's span as its parent: the
 * client's traceparent is replaced (the trace continues, one hop further) and its tracestate
 * kept only as the span's context carries it (a tracestate of a refused traceparent belongs
 * to no trace the proxy is part of).
 */
export function setOutgoingContext(headers: IncomingHttpHeaders, span: SpanContext, traceparent: string): void {
  headers.traceparent = traceparent;
  const state = span.traceState?.serialize();
  if (state) headers.tracestate = state;
  else if (headers.tracestate !== undefined) delete headers.tracestate;
}

/** The `traceresponse` value a request's answer carries; undefined while tracing is off. */
export function traceResponseOf(req: IncomingMessage | undefined): string | undefined {
  return req === undefined ? undefined : stateOf(req)?.trace?.response;
}

/** A legacy answer's header pairs with the proxy's traceresponse instead of any the legacy API sent. */
export function withTraceResponse(pairs: string[], value: string): string[] {
  for (let i = pairs.length - 2; i >= 0; i -= 2) {
    if (pairs[i]!.toLowerCase() === 'traceresponse') pairs.splice(i, 2);
  }
  pairs.push('traceresponse', value);
  return pairs;
}

/** The active context's traceparent/tracestate, for a plain fetch made inside a traced request. */
export function activeTraceHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  w3c.inject(context.active(), headers, defaultTextMapSetter);
  return headers;
}
