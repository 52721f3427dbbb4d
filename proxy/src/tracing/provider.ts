import { context, trace, type Context, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import type { Logger } from 'pino';
import { throttledWarn } from '../edge/throttled-warn.ts';
import { createSampler } from './sampler.ts';
import type { TracingConfig } from './tracing-config.ts';

/** One proxy's tracing: created only when OTEL_TRACES_EXPORTER=otlp. */
export interface Tracing {
  tracer: Tracer;
  /** Runs `fn` with `ctx` as the active context: what a migrated handler's legacy calls find as their parent. */
  withContext<T>(ctx: Context, fn: () => T): T;
  active(): Context;
  /** Exports what is still waiting, then stops. */
  close(): Promise<void>;
}

/**
 * The SDK, built from the proxy's own configuration: a batch processor posting OTLP/HTTP
 * (JSON) to the collector, the configured sampler, and an AsyncLocalStorage context manager.
 * The proxy uses its own provider and context manager directly; they are also registered as
 * the process's global ones when none are yet (the first tracing proxy's, while it lives), so
 * code in migrated routes can use `@opentelemetry/api` (`trace.getActiveSpan()`, spans of its
 * own). app.ts imports this file only when tracing is on: off, the SDK is never loaded.
 */
export function createTracing(config: TracingConfig, log: Logger): Tracing {
  const exporter = sayingWhenItFails(new OTLPTraceExporter({ url: config.tracesUrl, headers: config.headers }), config.tracesUrl, log);
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.serviceName })),
    sampler: createSampler(config.sampler, config.ratio),
    spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: config.exportDelayMs })],
  });
  const contextManager = new AsyncLocalStorageContextManager().enable();
  // setGlobal* refuse (and return false) when another proxy in this process registered first.
  const globalProvider = trace.setGlobalTracerProvider(provider);
  const globalContext = context.setGlobalContextManager(contextManager);
  let closed: Promise<void> | undefined;

  return {
    tracer: provider.getTracer('strangler-proxy'),
    withContext: (ctx, fn) => contextManager.with(ctx, fn),
    active: () => contextManager.active(),
    close() {
      closed ??= (async () => {
        try {
          await provider.shutdown(); // flushes the spans still in the batch
        } finally {
          if (globalProvider) trace.disable();
          if (globalContext) context.disable(); // disables our context manager too
          else contextManager.disable();
        }
      })();
      return closed;
    },
  };
}

const EXPORT_WARN_EVERY_MS = 60_000;

/**
 * The SDK drops spans it could not post without a word (its global error handler goes to a
 * diag logger nobody set): an operator would see empty traces and not know why. A warn line,
 * once a minute while it lasts, names the collector and why, and counts the lost batches.
 */
function sayingWhenItFails(exporter: SpanExporter, url: string, log: Logger): SpanExporter {
  const warn = throttledWarn(log, EXPORT_WARN_EVERY_MS);
  const collector = withoutSecrets(url);
  return {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void) {
      exporter.export(spans, (result) => {
        if (result.code !== ExportResultCode.SUCCESS) {
          warn({ collector, spans: spans.length, reason: result.error?.message }, 'tracing: spans could not be exported; they are lost');
        }
        done(result);
      });
    },
    shutdown: () => exporter.shutdown(),
    forceFlush: () => exporter.forceFlush?.() ?? Promise.resolve(),
  };
}

/** The collector's address for a log line: no user info, no query. */
function withoutSecrets(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
