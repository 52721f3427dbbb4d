import type { IncomingMessage, ServerResponse } from 'node:http';
import { Registry, Histogram, Counter, collectDefaultMetrics } from 'prom-client';
import { stateOf, type RequestState } from './request-state.ts';

export interface Metrics {
  registry: Registry;
  /** Observes the request (timed from its state's startedAt) once its response closes: finished, or the client left. */
  observe(req: IncomingMessage, res: ServerResponse): void;
  shadowOutcomes: Counter<'route' | 'outcome'>;
}

/** Called from the same listener, once per request: the status page's traffic accounting. Must not throw or do I/O. */
export type FinishedListener = (req: IncomingMessage, state: RequestState, status: number, seconds: number) => void;

export function createMetrics(opts: { onFinished?: FinishedListener } = {}): Metrics {
  const onFinished = opts.onFinished;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const duration = new Histogram({
    name: 'proxy_request_duration_seconds',
    help: 'Time from request received to response finished, by route and by who served it.',
    labelNames: ['route', 'served_by', 'method', 'status_class'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const shadowOutcomes = new Counter({
    name: 'proxy_shadow_comparisons_total',
    help: 'Shadow comparisons by route and outcome (match, mismatch, error, skipped).',
    labelNames: ['route', 'outcome'] as const,
    registers: [registry],
  });

  // prom-client hashes a label object on every observe; the few label combinations a proxy
  // sees are looked up once and kept (bounded: beyond the cap, the slow path).
  const children = new Map<string, ReturnType<typeof duration.labels>>();
  const series = (route: string, servedBy: string, method: string, status: number) => {
    const statusClass = status >= 500 ? '5xx' : status >= 400 ? '4xx' : status >= 300 ? '3xx' : status >= 200 ? '2xx' : '1xx';
    const key = `${route} ${servedBy} ${method} ${statusClass}`;
    let child = children.get(key);
    if (!child) {
      child = duration.labels(route, servedBy, method, statusClass);
      if (children.size < 10_000) children.set(key, child);
    }
    return child;
  };

  // One listener per request, shared by all of them: a response always emits 'close' (after
  // 'finish' when it completed), and `res.req` leads back to the request.
  function finished(this: ServerResponse): void {
    const req = this.req;
    const state = stateOf(req);
    const seconds = Number(process.hrtime.bigint() - state.startedAt) / 1e9;
    // A response cut short by the client has no meaningful status: count it as 499 like nginx.
    const status = this.writableFinished ? this.statusCode : 499;
    series(state.route, state.servedBy, req.method ?? 'GET', status).observe(seconds);
    if (onFinished) {
      try {
        onFinished(req, state, status, seconds);
      } catch {
        // Accounting is best effort: a fault there must never reach the response or the process.
      }
    }
  }

  return {
    registry,
    shadowOutcomes,
    observe(_req, res) {
      res.on('close', finished);
    },
  };
}
