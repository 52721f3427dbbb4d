import { percentile } from '../percentile.ts';

/** The dashboard phase's rows, the body tally, the wrk script and the summary: pure functions. */

export interface BodyTally {
  answers: number;
  /** Answers that were not 200. */
  failed: number;
  /** 200 answers whose body lists at least one partial failure. */
  degraded: number;
  /** How often each part was missing, e.g. { notifications: 12 }. */
  byPart: Record<string, number>;
}

export interface DashboardRow {
  id: 'legacy' | 'cold' | 'warm' | 'slow-300' | 'slow-2000';
  name: string;
  /** Closed-loop requests/s; NaN for the cold row, which is not a throughput figure. */
  requestsPerSec: number;
  p50: number;
  p99: number;
  /** NaN where the process served too few requests to divide by (cold). */
  cpuUsPerRequest: number;
  tally: BodyTally;
  notes: string[];
}

/** Counts answers by status and by the dashboard's `partialFailures` list. */
export function tallyBodies(answers: { status: number; body: string }[]): BodyTally {
  const tally: BodyTally = { answers: answers.length, failed: 0, degraded: 0, byPart: {} };
  for (const { status, body } of answers) {
    if (status !== 200) {
      tally.failed++;
      continue;
    }
    const parts = partialFailures(body);
    if (parts.length === 0) continue;
    tally.degraded++;
    for (const part of parts) tally.byPart[part] = (tally.byPart[part] ?? 0) + 1;
  }
  return tally;
}

// The legacy /api/home has no partialFailures: an absent list counts as whole.
function partialFailures(body: string): string[] {
  try {
    const list = (JSON.parse(body) as { partialFailures?: unknown }).partialFailures;
    return Array.isArray(list) ? list.map(String) : [];
  } catch {
    return ['(unparseable body)'];
  }
}

/** Percentiles of an unsorted latency sample, in ms. */
export function latencyFigures(samples: number[]): { p50: number; p99: number; max: number } {
  const sorted = Float64Array.from(samples).sort();
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.length ? sorted[sorted.length - 1]! : NaN };
}

/**
 * A wrk script that sends each request with the next user's bearer token in turn. One wrk
 * thread means one Lua state, so the counter is shared by every connection.
 */
export function rotatingAuthScript(tokens: string[]): string {
  if (tokens.length === 0) throw new Error('rotatingAuthScript: no tokens');
  for (const t of tokens) if (!/^[\w.-]+$/.test(t)) throw new Error('rotatingAuthScript: a token is not a JWT (base64url parts and dots)');
  return [
    `local tokens = { ${tokens.map((t) => `"${t}"`).join(', ')} }`,
    'local i = 0',
    'request = function()',
    '  i = i % #tokens + 1',
    '  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[i] })',
    'end',
    '',
  ].join('\n');
}

export function formatDashboardTable(rows: DashboardRow[], connections: number): string {
  const header = ['row', 'req/s', 'p50 ms', 'p99 ms', 'CPU us/req', 'degraded', 'notes'];
  const lines = rows.map((r) => [
    r.name,
    num(r.requestsPerSec, 0),
    num(r.p50, 2),
    num(r.p99, 2),
    num(r.cpuUsPerRequest, 0),
    degradedCell(r.tally),
    r.notes.join('; '),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => cells.map((c, i) => (i === 0 || i === cells.length - 1 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [
    `dashboard: closed loop wrk -t1 -c${connections}, users' tokens in turn; degraded = answers with partialFailures in a sample of bodies`,
    fmt(header),
    fmt(widths.map((w) => '-'.repeat(w))),
    ...lines.map(fmt),
  ].join('\n');
}

function degradedCell(t: BodyTally): string {
  if (t.answers === 0) return '-';
  const failed = t.failed ? ` +${t.failed} non-200` : '';
  return `${t.degraded}/${t.answers}${failed}`;
}

/** The short comparison the issue asks for; rows that were not measured are left out. */
export function dashboardSummary(rows: DashboardRow[]): string[] {
  const by = (id: DashboardRow['id']) => rows.find((r) => r.id === id);
  const out: string[] = [];
  const [legacy, warm, cold, slow, slower] = [by('legacy'), by('warm'), by('cold'), by('slow-300'), by('slow-2000')];
  if (warm && legacy) out.push(`warm dashboard p50 ${num(warm.p50, 2)} ms vs legacy /api/home through the proxy ${num(legacy.p50, 2)} ms (${(warm.p50 / legacy.p50).toFixed(2)}x)`);
  if (cold) out.push(`cold dashboard (every cache missed) p50 ${num(cold.p50, 2)} ms, max ${num(cold.p99, 2)} ms over ${cold.tally.answers} first requests`);
  for (const r of [slow, slower]) {
    if (r) out.push(`${r.name}: p50 ${num(r.p50, 2)} ms, p99 ${num(r.p99, 2)} ms, degraded ${share(r.tally)} of sampled answers`);
  }
  return out;
}

function share(t: BodyTally): string {
  return t.answers ? `${((t.degraded * 100) / t.answers).toFixed(0)} %` : '-';
}

function num(n: number, digits: number): string {
  return Number.isFinite(n) ? n.toFixed(digits) : '-';
}
