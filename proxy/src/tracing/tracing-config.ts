import { z } from 'zod';

/**
 * The standard OpenTelemetry variables the proxy reads (config.ts validates them with the
 * rest). The project's configuration drives the SDK: every value is passed in explicitly, so a
 * wrong one stops start-up naming the variable, instead of the SDK warning and carrying on.
 */

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
export type SamplerName = (typeof SAMPLERS)[number];

/** `key=value,key2=value2` (W3C baggage style, values percent-encoded), as the OTLP spec writes them. */
const HEADER_PAIR = /^\s*[A-Za-z0-9!#$%&'*+.^_`|~-]+\s*=[^,]*$/;

export const TRACING_VARIABLES = {
  OTEL_TRACES_EXPORTER: z.enum(['otlp', 'none'], 'must be otlp (send traces over OTLP/HTTP) or none (tracing off)').default('none'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url({ protocol: /^https?$/, message: 'must be an http(s) URL of an OTLP/HTTP collector, e.g. http://otel-collector:4318' })
    .transform((u) => u.replace(/\/+$/, ''))
    .default('http://localhost:4318'),
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: z.url({ protocol: /^https?$/, message: 'must be the http(s) URL spans are posted to, e.g. http://otel-collector:4318/v1/traces' }).optional(),
  OTEL_EXPORTER_OTLP_HEADERS: z
    .string()
    .refine((v) => v.split(',').every((pair) => HEADER_PAIR.test(pair)), 'must be name=value pairs separated by commas, e.g. authorization=Bearer%20abc')
    .optional(),
  OTEL_SERVICE_NAME: z.string().min(1).max(255).default('strangler-proxy'),
  OTEL_TRACES_SAMPLER: z.enum(SAMPLERS, `must be one of ${SAMPLERS.join(', ')}`).default('parentbased_always_on'),
  OTEL_TRACES_SAMPLER_ARG: z.coerce.number().min(0, 'must be a ratio from 0 to 1').max(1, 'must be a ratio from 0 to 1').optional(),
  OTEL_BSP_SCHEDULE_DELAY: z.coerce.number().int().min(1, 'must be at least 1').max(60_000, 'must be at most 60000 (one minute)').default(5_000),
};

type TracingVariables = z.output<z.ZodObject<typeof TRACING_VARIABLES>>;

export interface TracingConfig {
  /** Where spans are posted (OTLP/HTTP, JSON encoding). */
  tracesUrl: string;
  /** Sent with every export (a collector's credentials): never logged. */
  headers: Record<string, string>;
  serviceName: string;
  sampler: SamplerName;
  /** The ratio of the traceidratio samplers (1 unless OTEL_TRACES_SAMPLER_ARG says otherwise). */
  ratio: number;
  /** How long finished spans wait before they go out in one export. */
  exportDelayMs: number;
}

export function tracingConfig(c: TracingVariables): TracingConfig | undefined {
  if (c.OTEL_TRACES_EXPORTER === 'none') return undefined;
  return {
    tracesUrl: c.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ?? `${c.OTEL_EXPORTER_OTLP_ENDPOINT}/v1/traces`,
    headers: parseHeaders(c.OTEL_EXPORTER_OTLP_HEADERS),
    serviceName: c.OTEL_SERVICE_NAME,
    sampler: c.OTEL_TRACES_SAMPLER,
    ratio: c.OTEL_TRACES_SAMPLER_ARG ?? 1,
    exportDelayMs: c.OTEL_BSP_SCHEDULE_DELAY,
  };
}

function parseHeaders(list: string | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const pair of (list ?? '').split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    headers[pair.slice(0, eq).trim()] = decodeSafe(pair.slice(eq + 1).trim());
  }
  return headers;
}

function decodeSafe(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
