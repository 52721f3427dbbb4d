import { trace, TraceFlags, type Context, type Link } from '@opentelemetry/api';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  ParentBasedSampler,
  SamplingDecision,
  TraceIdRatioBasedSampler,
  type Sampler,
} from '@opentelemetry/sdk-trace-base';
import type { SamplerName } from './tracing-config.ts';

/** OTEL_TRACES_SAMPLER and its ratio, as the specification names them. */
function standardSampler(name: SamplerName, ratio: number): Sampler {
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_on':
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
  }
}

/**
 * The configured sampler, with one addition: a root span linked to a sampled span is sampled
 * too. A shadow comparison is its own trace, linked to its request's span (tracing/shadow-span.ts);
 * at 1% sampling, a ratio of its own would leave almost every traced request's shadow untraced.
 */
export function createSampler(name: SamplerName, ratio: number): Sampler {
  const standard = standardSampler(name, ratio);
  return {
    shouldSample(ctx: Context, traceId, spanName, spanKind, attributes, links: Link[]) {
      if (links.length > 0 && trace.getSpanContext(ctx) === undefined && links.some(isSampled)) {
        return { decision: SamplingDecision.RECORD_AND_SAMPLED };
      }
      return standard.shouldSample(ctx, traceId, spanName, spanKind, attributes, links);
    },
    toString: () => `LinkedOr{${standard.toString()}}`,
  };
}

const isSampled = (link: Link) => (link.context.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED;
