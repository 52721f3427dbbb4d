import { describe, expect, it } from 'vitest';
import { ROOT_CONTEXT, SpanKind, trace, TraceFlags } from '@opentelemetry/api';
import { SamplingDecision } from '@opentelemetry/sdk-trace-base';
import { createSampler } from './sampler.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const remoteParent = (flags: TraceFlags) => trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: flags, isRemote: true });
const decide = (sampler: ReturnType<typeof createSampler>, ctx = ROOT_CONTEXT, links: Parameters<ReturnType<typeof createSampler>['shouldSample']>[5] = []) =>
  sampler.shouldSample(ctx, TRACE, 'GET catch-all', SpanKind.SERVER, {}, links).decision;

describe('the sampler', () => {
  it('follows the caller\'s decision with parentbased_*, whatever the ratio', () => {
    const sampler = createSampler('parentbased_traceidratio', 0);
    expect(decide(sampler, remoteParent(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(createSampler('parentbased_traceidratio', 1), remoteParent(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('applies the ratio to new traces', () => {
    expect(decide(createSampler('parentbased_traceidratio', 0))).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(createSampler('parentbased_traceidratio', 1))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(createSampler('always_off', 1), remoteParent(TraceFlags.SAMPLED))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('samples a root span linked to a sampled span (a shadow comparison of a traced request), else decides as configured', () => {
    const sampler = createSampler('parentbased_traceidratio', 0);
    const link = (flags: TraceFlags) => [{ context: { traceId: TRACE, spanId: '00f067aa0ba902b7', traceFlags: flags } }];
    expect(decide(sampler, ROOT_CONTEXT, link(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    expect(decide(sampler, ROOT_CONTEXT, link(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
  });
});
