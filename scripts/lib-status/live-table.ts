import { count, millis, percent, plural } from '../../proxy/src/status/format.ts';
import type { EndpointFigures } from '../../proxy/src/legacy/endpoint-figures.ts';
import type { SideTraffic, StatusSnapshot, TrafficWindow } from '../../proxy/src/status/snapshot.ts';

const TOP_UNMIGRATED = 10;

/**
 * The snapshot as a terminal screen for the migration team: one row per route (traffic,
 * 5xx and p95 on each side, shadow match rate), the canary guard's rollbacks with their
 * reasons, then the legacy API's health, what the policies did per legacy endpoint, what the
 * catch-all still forwards (top 10 endpoints) and the dual-auth window. Plain text, no colour.
 */
export function formatLiveStatus(s: StatusSnapshot, source: string, window: TrafficWindow = 'hour'): string {
  const label = s.windows[window].label;
  const routes = [...s.routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method));
  const out: string[] = [
    `Migration status from ${source}, ${s.generatedAt.slice(0, 16).replace('T', ' ')} UTC (instance ${s.instance}; flags from ${s.flags.source === 'file' ? 'the flags file' : 'Unleash'})`,
    `Counters: ${s.counters.description}.`,
    '',
    `Routes, ${label}. legacy/new: answered by the legacy API (shadowed requests included) / by the migrated route.`,
    ...columns([
      ['ROUTE', 'ENDPOINT', 'STATE', 'REQUESTS legacy/new', '5XX legacy/new', 'P95 legacy/new', 'SHADOW MATCH', 'OWNER'],
      ...routes.map((r) => {
        const t = r.traffic[window];
        const p = r.parity.windows[window];
        return [
          r.id,
          `${r.method} ${r.path}`,
          r.state.label,
          `${count(t.answeredByLegacy.requests)} / ${count(t.migrated.requests)}`,
          `${errors(t.answeredByLegacy)} / ${errors(t.migrated)}`,
          `${millis(t.answeredByLegacy.p95Ms)} / ${millis(t.migrated.p95Ms)}`,
          p.compared === 0 ? '–' : `${percent(p.matchRate)} of ${count(p.compared)}`,
          r.owner,
        ];
      }),
    ]),
  ];
  if (routes.length === 0) out.push('  (no migrated routes declared)');
  // A proxy older than the canary guard sends no `guard`.
  const rolledBack = routes.filter((r) => r.guard?.rollback);
  if (rolledBack.length > 0) {
    out.push('', 'Rolled back by the canary guard (the legacy API serves everyone until staff clear it on the status page, or the flag changes):');
    for (const r of rolledBack) out.push(`  ${r.id}: ${r.guard.rollback!.text}; ${r.guard.rollback!.recovery}.`);
  }

  const { health, catchAll, unmigrated, authWindow } = s.legacy;
  const c = catchAll[window];
  const top = unmigrated.endpoints.slice(0, TOP_UNMIGRATED);
  out.push(
    '',
    `Legacy API: ${health.summary}`,
    ...endpointRows(s.legacy.endpoints ?? []),
    `Catch-all, ${label}: ${plural(c.requests, 'request')}, 5xx ${errors(c)}, p95 ${millis(c.p95Ms)}.`,
    '',
    top.length === 0
      ? 'Unmigrated traffic (catch-all, last 7 days): none.'
      : `Unmigrated traffic (catch-all, last 7 days), top ${top.length} of ${plural(unmigrated.endpoints.length, 'endpoint')}:`,
  );
  if (top.length > 0) {
    out.push(
      ...columns([
        ['REQUESTS', 'ENDPOINT', 'LAST SEEN', 'REPLACED BY'],
        ...top.map((e) => [count(e.count), `${e.method} ${e.path}`, `${e.lastSeen.slice(0, 16).replace('T', ' ')} UTC`, e.replacedBy ?? '–']),
      ]),
    );
  }
  out.push(unmigrated.verdict, '', `Auth window: ${authWindow.summary}`);
  return out.join('\n') + '\n';
}

/** What the legacy client's policies did, per route and legacy endpoint, on the answering instance. */
function endpointRows(endpoints: readonly EndpointFigures[]): string[] {
  if (endpoints.length === 0) return [];
  return [
    'Legacy endpoints called by migrated routes (the answering instance, since it started):',
    ...columns([
      ['ROUTE:ENDPOINT', 'CALLS', 'ERRORS', 'P95', 'RETRIES', 'BREAKER', 'BULKHEAD REJECTED', 'CACHE HITS'],
      ...endpoints.map((e) => [
        e.key,
        count(e.calls),
        e.errors === 0 ? '0' : `${count(e.errors)} (${errorKinds(e)})`,
        millis(e.p95Ms),
        count(e.retries),
        `${e.breaker.state}${e.breaker.transitions ? `, ${plural(e.breaker.transitions, 'change')}` : ''}`,
        count(e.bulkheadRejections),
        e.cache.hitRate === null ? '–' : `${percent(e.cache.hitRate)} of ${count(e.cache.hits + e.cache.misses)}`,
      ]),
    ]),
  ];
}

function errorKinds(e: EndpointFigures): string {
  return Object.entries(e.outcomes)
    .filter(([kind, n]) => n && !['ok', '4xx', 'aborted'].includes(kind))
    .map(([kind, n]) => `${kind} ${count(n)}`)
    .join(', ');
}

function errors(side: SideTraffic): string {
  return side.errors5xx === 0 ? '0' : `${count(side.errors5xx)} (${percent(side.errorRate)})`;
}

/** Left-aligned columns two spaces apart, indented by two. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}
