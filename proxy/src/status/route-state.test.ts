import { describe, it, expect } from 'vitest';
import type { FlagState } from '../flags/types.ts';
import { routeState, type RetirementEvidence } from './route-state.ts';
import type { ParityWindow, RouteTraffic, SideTraffic, TrafficWindow } from './snapshot.ts';
import { summaryLine, type SummaryInput } from './summary-line.ts';

const STARTED = Date.parse('2027-01-19T08:00:00Z');
const NOW = Date.parse('2027-01-20T12:00:00Z');
const flag = (o: Partial<FlagState>): FlagState => ({ name: 'route.x', exists: true, enabled: true, rollout: 0, shadow: false, lastChangedAt: '2027-01-20T10:42:00Z', ...o });
const quiet: RetirementEvidence = { migratedDate: '2027-01-01', replacedElsewhere: 'GET /api/home', legacyAnsweredLastWeek: 0, replacedEndpointLastWeek: 0, sevenDaysCounted: true };

describe('route state in words, from the live flag', () => {
  it.each([
    [flag({ exists: false, enabled: false }), 'proxied', 'proxied'],
    [flag({ enabled: false }), 'proxied', 'proxied'],
    [flag({}), 'proxied', 'proxied'],
    [flag({ shadow: true }), 'shadow', 'shadow'],
    [flag({ exists: false, enabled: false, shadow: true }), 'shadow', 'shadow'],
    [flag({ rollout: 35 }), 'canary', 'canary 35%'],
    [flag({ rollout: 10, shadow: true }), 'canary', 'canary 10% + shadow'],
    [flag({ rollout: 100 }), 'retired', 'retired'],
  ])('%o -> %s', (f, word, label) => {
    expect(routeState(f, quiet, STARTED)).toMatchObject({ word, label });
  });

  it('is retired only at 100%, with a migratedDate, a replaced endpoint elsewhere, and 7 counted days without legacy traffic', () => {
    const at100 = flag({ rollout: 100 });
    expect(routeState(at100, quiet, STARTED).word).toBe('retired');
    const blocked: Array<[Partial<RetirementEvidence>, RegExp]> = [
      [{ migratedDate: undefined }, /declares no migratedDate/],
      [{ replacedElsewhere: null }, /nothing to retire/],
      [{ legacyAnsweredLastWeek: 2 }, /still received 2 requests/],
      [{ replacedEndpointLastWeek: 1 }, /still received 1 request in/],
      [{ sevenDaysCounted: false }, /fewer than 7 days have been counted/],
    ];
    for (const [change, why] of blocked) {
      const state = routeState(at100, { ...quiet, ...change }, STARTED);
      expect(state.word).toBe('migrated');
      expect(state.retirement).toMatch(why);
    }
  });

  it('says when the flag was only loaded at start-up rather than seen to change', () => {
    expect(routeState(flag({ lastChangedAt: '2027-01-19T07:59:59Z' }), quiet, STARTED).unchangedSinceStartup).toBe(true);
    expect(routeState(flag({ lastChangedAt: '2027-01-20T10:42:00Z' }), quiet, STARTED).unchangedSinceStartup).toBe(false);
  });
});

const side = (requests: number, errors5xx = 0): SideTraffic => ({ requests, errors5xx, errorRate: requests ? errors5xx / requests : null, p95Ms: requests ? 20 : null });
function traffic(legacy: SideTraffic, migrated: SideTraffic, shadow = side(0)): Record<TrafficWindow, RouteTraffic> {
  const t = { legacy, shadow, migrated, answeredByLegacy: side(legacy.requests + shadow.requests, legacy.errors5xx + shadow.errors5xx), refused: 0 };
  return { hour: t, day: t, week: t };
}
const parity = (match: number, mismatch: number): Record<TrafficWindow, ParityWindow> => {
  const p = { compared: match + mismatch, match, mismatch, errors: 0, skipped: 0, matchRate: match + mismatch ? match / (match + mismatch) : null };
  return { hour: p, day: p, week: p };
};
function line(f: Partial<FlagState>, t: Record<TrafficWindow, RouteTraffic>, p = parity(0, 0), extra: Partial<SummaryInput> = {}): string {
  return summaryLine({ method: 'GET', flag: 'route.x', state: routeState(flag(f), { ...quiet, migratedDate: undefined }, STARTED), traffic: t, parity: p, latestMismatchPaths: [], now: NOW, ...extra });
}

describe('the plain-language line for support', () => {
  it('canary: the share of users, since when, and the 5xx rate against legacy when there is enough to compare', () => {
    expect(line({ rollout: 35 }, traffic(side(1000, 1), side(500, 0)))).toBe('35% of users are served by the new route since 10:42 UTC; 5xx rate similar to legacy (0% vs 0.1%) in the last hour.');
    expect(line({ rollout: 35 }, traffic(side(1000, 1), side(1000, 1)))).toMatch(/5xx rate equal to legacy \(0\.1%\)/);
    expect(line({ rollout: 35 }, traffic(side(1000, 1), side(1000, 40)))).toMatch(/5xx rate higher than legacy \(4\.0% vs 0\.1%\)/);
    expect(line({ rollout: 35 }, traffic(side(1000, 40), side(1000, 1)))).toMatch(/5xx rate lower than legacy/);
    expect(line({ rollout: 35 }, traffic(side(1000, 1), side(5, 1)))).toBe('35% of users are served by the new route since 10:42 UTC; too few requests to compare error rates yet.');
  });

  it('shadow: how many were compared and how many matched, with the latest differing fields', () => {
    expect(line({ shadow: true }, traffic(side(0), side(0), side(1204)), parity(1202, 2), { latestMismatchPaths: ['courses[0].title'] })).toBe(
      'Shadow only: the legacy API answers everyone since 10:42 UTC; 1,204 compared in the last hour, 99.8% match; latest difference at courses[0].title.',
    );
    expect(line({ shadow: true }, traffic(side(0), side(0)), parity(0, 0))).toMatch(/nothing compared yet/);
    expect(line({ shadow: true }, traffic(side(0), side(0)), parity(3, 0))).toMatch(/3 compared in the last hour, too few to judge/);
    expect(line({ shadow: true }, traffic(side(0), side(0)), parity(0, 0), { method: 'POST' })).toMatch(/POST requests are never shadowed/);
    expect(line({ rollout: 20, shadow: true }, traffic(side(100), side(100)), parity(50, 0))).toMatch(/The other users are shadowed: 50 compared in the last hour, 100% match\.$/);
  });

  it('proxied and migrated, and an honest "at least" when the flag was only loaded at start-up', () => {
    expect(line({}, traffic(side(12), side(0)))).toBe('Served by the legacy API for everyone; no shadow yet. 12 requests in the last hour.');
    expect(line({ exists: false, enabled: false }, traffic(side(0), side(0)))).toBe('Served by the legacy API for everyone (flag route.x is not defined); no shadow yet.');
    expect(line({ rollout: 100, lastChangedAt: '2027-01-19T09:00:00Z' }, traffic(side(0), side(80, 1)))).toBe('All users are served by the new route since 2027-01-19 09:00 UTC; 5xx rate 1.3% in the last hour.');
    expect(line({ rollout: 35, lastChangedAt: '2027-01-19T07:00:00Z' }, traffic(side(0), side(0)))).toMatch(/^35% of users are served by the new route since at least 2027-01-19 07:00 UTC;/);
  });
});
