import { Registry, Histogram, Counter, Gauge, collectDefaultMetrics } from 'prom-client';
import type { LegacyReachability } from '../health/legacy-reachability.ts';
import type { FinishedListener } from './finished.ts';

export interface Metrics {
  registry: Registry;
  /** Observes a finished request in the duration histogram (an edge finished-hook listener). */
  record: FinishedListener;
  shadowOutcomes: Counter<'route' | 'outcome'>;
}

export function createMetrics(opts: { legacy: LegacyReachability }): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  legacyGauges(registry, opts.legacy);
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

  const refusals = new Counter({
    name: 'proxy_refusals_total',
    help: 'Requests the proxy answered itself on the way to a backend (served_by="proxy"), by route and reason (a problem type: csrf, legacy-token-retired, too-many-requests, bad-request...).',
    labelNames: ['route', 'reason'] as const,
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

  return {
    registry,
    shadowOutcomes,
    record(done) {
      series(done.route, done.servedBy, done.method, done.status).observe(done.seconds);
      if (done.refusal !== undefined) refusals.inc({ route: done.route, reason: done.refusal });
    },
  };
}

/**
 * The legacy API's reachability at scrape time (the probe's answer of the last second, or the
 * catch-all's latest outcomes). No series while it is not known, rather than a 0 that would page.
 */
function legacyGauges(registry: Registry, legacy: LegacyReachability): void {
  new Gauge({
    name: 'proxy_legacy_reachable',
    help: 'Whether the legacy API answers (1) or not (0), as this instance judges it: by probe (LEGACY_HEALTH_PATH) or by traffic.',
    labelNames: ['judged_by'] as const,
    registers: [registry],
    async collect() {
      const r = await legacy.check();
      this.reset();
      if (r.reachable !== null) this.labels(r.judgedBy).set(r.reachable ? 1 : 0);
    },
  });
  new Gauge({
    name: 'proxy_legacy_probe_seconds',
    help: 'How long the latest probe of the legacy API (GET LEGACY_HEALTH_PATH) took to get an answer.',
    labelNames: ['path'] as const,
    registers: [registry],
    async collect() {
      const r = await legacy.check();
      this.reset();
      if (r.path !== undefined && r.latencyMs !== null) this.labels(r.path).set(r.latencyMs / 1000);
    },
  });
}
