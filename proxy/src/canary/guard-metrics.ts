import { Counter, Gauge, type Registry } from 'prom-client';
import type { CanaryGuard } from './canary-guard.ts';

/**
 * `proxy_canary_rollbacks_total{route,reason}` counts the rollbacks this instance decided (one
 * instance decides each, so the sum over instances is the number of rollbacks);
 * `proxy_route_rolled_back{route}` is 1 while this instance serves the route's canary from the
 * legacy API, on every instance.
 */
export function guardMetrics(registry: Registry, guard: Pick<CanaryGuard, 'onRollback' | 'rolledBack' | 'routeIds'>): void {
  const rollbacks = new Counter({
    name: 'proxy_canary_rollbacks_total',
    help: 'Automatic canary rollbacks this instance decided, by route and reason (errors: 5xx rate, latency: p95, mismatches: shadow).',
    labelNames: ['route', 'reason'] as const,
    registers: [registry],
  });
  guard.onRollback((record) => rollbacks.inc({ route: record.routeId, reason: record.reason }));
  new Gauge({
    name: 'proxy_route_rolled_back',
    help: 'Whether the canary guard has rolled the route back (1: everyone is served by the legacy API until staff clear it or the flag changes).',
    labelNames: ['route'] as const,
    registers: [registry],
    collect() {
      for (const id of guard.routeIds()) this.labels(id).set(guard.rolledBack(id) ? 1 : 0);
    },
  });
}
