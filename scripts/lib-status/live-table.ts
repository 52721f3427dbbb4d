import { count, millis, percent, plural } from '../../proxy/src/status/format.ts';
import type { SideTraffic, StatusSnapshot, TrafficWindow } from '../../proxy/src/status/snapshot.ts';

const TOP_UNMIGRATED = 10;

/**
 * The snapshot as a terminal screen for the migration team: one row per route (traffic,
 * 5xx and p95 on each side, shadow match rate), then the legacy API's health, what the
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

  const { health, catchAll, unmigrated, authWindow } = s.legacy;
  const c = catchAll[window];
  const top = unmigrated.endpoints.slice(0, TOP_UNMIGRATED);
  out.push(
    '',
    `Legacy API: ${health.summary}`,
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

function errors(side: SideTraffic): string {
  return side.errors5xx === 0 ? '0' : `${count(side.errors5xx)} (${percent(side.errorRate)})`;
}

/** Left-aligned columns two spaces apart, indented by two. */
function columns(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => `  ${r.map((cell, i) => (i === r.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}
