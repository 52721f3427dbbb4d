import { describe, it, expect } from 'vitest';
import { dashboardSummary, formatDashboardTable, rotatingAuthScript, tallyBodies, type DashboardRow } from './report.ts';

const whole = JSON.stringify({ user: {}, courses: [], partialFailures: [] });
const noNotifications = JSON.stringify({ user: {}, partialFailures: ['notifications'] });

describe('tallyBodies', () => {
  it('counts degraded answers by missing part, non-200s apart, and the legacy screen as whole', () => {
    const tally = tallyBodies([
      { status: 200, body: whole },
      { status: 200, body: noNotifications },
      { status: 200, body: JSON.stringify({ user: {}, partialFailures: ['courses', 'notifications'] }) },
      { status: 200, body: JSON.stringify({ generatedAt: 'x' }) },
      { status: 503, body: '{"title":"Service Unavailable"}' },
    ]);
    expect(tally).toEqual({ answers: 5, failed: 1, degraded: 2, byPart: { notifications: 2, courses: 1 } });
  });

  it('counts an unparseable 200 as degraded rather than whole', () => {
    expect(tallyBodies([{ status: 200, body: '<html>' }]).degraded).toBe(1);
  });
});

describe('rotatingAuthScript', () => {
  it('puts every token in the Lua script, taken in turn', () => {
    const script = rotatingAuthScript(['aa.bb.cc', 'dd.ee.ff']);
    expect(script).toContain('local tokens = { "aa.bb.cc", "dd.ee.ff" }');
    expect(script).toContain('"Bearer " .. tokens[i]');
  });

  it('refuses a token that could break out of the Lua string', () => {
    expect(() => rotatingAuthScript(['a"b'])).toThrow(/not a JWT/);
    expect(() => rotatingAuthScript([])).toThrow(/no tokens/);
  });
});

function row(id: DashboardRow['id'], p50: number, degraded = 0): DashboardRow {
  return {
    id, name: id, requestsPerSec: id === 'cold' ? NaN : 1000, p50, p99: p50 * 3, cpuUsPerRequest: id === 'cold' ? NaN : 500,
    tally: { answers: 60, failed: 0, degraded, byPart: degraded ? { notifications: degraded } : {} }, notes: [],
  };
}

describe('the dashboard report', () => {
  it('shows a dash where the cold row has no throughput, and degraded counts', () => {
    const table = formatDashboardTable([row('cold', 8), row('slow-2000', 4, 60)], 10);
    expect(table).toMatch(/^cold\s+-\s+8\.00\s+24\.00\s+-\s+0\/60/m);
    expect(table).toMatch(/^slow-2000\s+1000\s+4\.00\s+12\.00\s+500\s+60\/60/m);
  });

  it('compares warm with the legacy screen and gives the degraded share', () => {
    const lines = dashboardSummary([row('legacy', 5), row('warm', 10), row('cold', 8), row('slow-2000', 4, 30)]);
    expect(lines[0]).toBe('warm dashboard p50 10.00 ms vs legacy /api/home through the proxy 5.00 ms (2.00x)');
    expect(lines.at(-1)).toMatch(/degraded 50 % of sampled answers$/);
  });
});
