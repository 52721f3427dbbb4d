import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { BreakerState, LegacyCallListener } from './call-events.ts';

const STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2 };

/**
 * Prometheus series for the legacy client's policies, per route and legacy endpoint (the
 * `endpoint` names in route files). Returns the listener to hand to LegacyClient.onEvent.
 * The breaker gauge is read from the pipelines at scrape time, so an open breaker whose
 * wait is over reads as half-open, as the status page says.
 */
export function legacyCallMetrics(registry: Registry, breakers: () => Array<{ key: string; state: BreakerState }>): LegacyCallListener {
  const labelNames = ['route', 'endpoint'] as const;
  const calls = new Counter({
    name: 'proxy_legacy_calls_total',
    help: 'Calls from migrated routes to the legacy API, by route, endpoint and outcome (ok, 4xx, 5xx, timeout, network, breaker-open, bulkhead-rejected, aborted, error). Cache hits are not calls.',
    labelNames: [...labelNames, 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'proxy_legacy_call_duration_seconds',
    help: 'Time a call to the legacy API took, retries and backoff waits included, by route and endpoint.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const retries = new Counter({
    name: 'proxy_legacy_retries_total',
    help: 'Failed attempts at the legacy API that were tried again, by route and endpoint.',
    labelNames,
    registers: [registry],
  });
  const transitions = new Counter({
    name: 'proxy_legacy_breaker_transitions_total',
    help: 'Circuit breaker state changes, by route, endpoint and the state moved to (open, half-open, closed).',
    labelNames: [...labelNames, 'to'] as const,
    registers: [registry],
  });
  const rejections = new Counter({
    name: 'proxy_legacy_bulkhead_rejections_total',
    help: 'Calls refused because the endpoint already had as many calls running and queued as its bulkhead allows, by route and endpoint.',
    labelNames,
    registers: [registry],
  });
  const cache = new Counter({
    name: 'proxy_legacy_cache_lookups_total',
    help: 'Cached legacy calls by route, endpoint and result: hit (answered without a call of its own) or miss.',
    labelNames: [...labelNames, 'result'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'proxy_legacy_breaker_state',
    help: 'Circuit breaker state per route and endpoint on this instance: 0 closed, 1 half-open (the next call is a probe), 2 open.',
    labelNames,
    registers: [registry],
    collect() {
      this.reset();
      for (const { key, state } of breakers()) {
        const at = key.indexOf(':');
        this.labels(key.slice(0, at), key.slice(at + 1)).set(STATE_VALUE[state]);
      }
    },
  });

  return (e) => {
    switch (e.type) {
      case 'call':
        calls.labels(e.route, e.endpoint, e.outcome).inc();
        duration.labels(e.route, e.endpoint).observe(e.seconds);
        break;
      case 'retry':
        retries.labels(e.route, e.endpoint).inc();
        break;
      case 'breaker':
        transitions.labels(e.route, e.endpoint, e.state).inc();
        break;
      case 'bulkhead-rejected':
        rejections.labels(e.route, e.endpoint).inc();
        break;
      case 'cache':
        cache.labels(e.route, e.endpoint, e.hit ? 'hit' : 'miss').inc();
        break;
    }
  };
}
