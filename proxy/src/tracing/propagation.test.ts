import { describe, expect, it } from 'vitest';
import { trace, TraceFlags } from '@opentelemetry/api';
import { incomingContext, setOutgoingContext, traceparentOf, withTraceResponse } from './propagation.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

describe('W3C trace context', () => {
  it('continues a valid incoming traceparent, with its tracestate', () => {
    const ctx = trace.getSpanContext(incomingContext({ traceparent: `00-${TRACE}-${PARENT}-01`, tracestate: 'vendor=abc' }))!;
    expect(ctx).toMatchObject({ traceId: TRACE, spanId: PARENT, traceFlags: TraceFlags.SAMPLED, isRemote: true });
    expect(ctx.traceState?.serialize()).toBe('vendor=abc');
  });

  it.each([undefined, 'garbage', `00-${'0'.repeat(32)}-${PARENT}-01`, `ff-${TRACE}-${PARENT}-01`])('starts afresh from %s', (traceparent) => {
    expect(trace.getSpanContext(incomingContext(traceparent === undefined ? {} : { traceparent }))).toBeUndefined();
  });

  it('writes version 00 with two hex digits of flags', () => {
    expect(traceparentOf({ traceId: TRACE, spanId: PARENT, traceFlags: TraceFlags.SAMPLED })).toBe(`00-${TRACE}-${PARENT}-01`);
    expect(traceparentOf({ traceId: TRACE, spanId: PARENT, traceFlags: TraceFlags.NONE })).toBe(`00-${TRACE}-${PARENT}-00`);
  });

  it('replaces the client\'s trace context on the way out, dropping a tracestate the span does not carry', () => {
    const headers: Record<string, string | string[] | undefined> = { traceparent: 'garbage', tracestate: 'orphan=1' };
    setOutgoingContext(headers, { traceId: TRACE, spanId: PARENT, traceFlags: 1 }, `00-${TRACE}-${PARENT}-01`);
    expect(headers).toEqual({ traceparent: `00-${TRACE}-${PARENT}-01` });
  });

  it('answers with the proxy\'s traceresponse, never the legacy API\'s too', () => {
    const pairs = ['Content-Type', 'text/plain', 'TraceResponse', '00-legacy', 'X-A', '1', 'traceresponse', '00-again'];
    expect(withTraceResponse(pairs, '00-ours')).toEqual(['Content-Type', 'text/plain', 'X-A', '1', 'traceresponse', '00-ours']);
  });
});
