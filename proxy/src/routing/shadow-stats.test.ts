import { describe, expect, it } from 'vitest';
import type { Difference } from './shadow-compare.ts';
import { createShadowStats, type ShadowOutcome } from './shadow-stats.ts';

const difference = (path: string): Difference => ({ path, kind: 'changed', legacy: 'number', migrated: 'number' });

describe('shadow stats', () => {
  it('counts outcomes per route, with reasons, as plain JSON', () => {
    const stats = createShadowStats({ now: () => new Date('2025-03-01T12:00:00Z') });
    stats.record('courses', { result: 'match', correlationId: 'c1' });
    stats.record('courses', { result: 'match', correlationId: 'c2' });
    stats.record('courses', { result: 'error', correlationId: 'c3', reason: 'legacy answer not JSON' });
    stats.record('courses', { result: 'skipped', reason: 'over concurrency cap' });
    stats.record('profile', { result: 'mismatch', correlationId: 'c4', differences: [difference('a')], noisyPaths: new Set(['z', 'b']) });

    const all = stats.snapshot();
    expect(JSON.parse(JSON.stringify(all))).toEqual(all);
    expect(all.courses).toMatchObject({
      match: 2,
      mismatch: 0,
      error: 1,
      skipped: 1,
      reasons: { error: { 'legacy answer not JSON': 1 }, skipped: { 'over concurrency cap': 1 } },
    });
    expect(stats.snapshot('profile')).toEqual({
      match: 0,
      mismatch: 1,
      error: 0,
      skipped: 0,
      reasons: { error: {}, skipped: {} },
      recentMismatches: [
        { at: '2025-03-01T12:00:00.000Z', correlationId: 'c4', differenceCount: 1, differences: [difference('a')] },
      ],
      noisyPaths: ['b', 'z'],
    });
    expect(stats.snapshot('unknown')).toMatchObject({ match: 0, mismatch: 0, recentMismatches: [] });
  });

  it('keeps only the last 10 mismatches, newest first, each with its first 10 differences', () => {
    const stats = createShadowStats();
    const many = Array.from({ length: 30 }, (_, i) => difference(`f${i}`));
    for (let i = 1; i <= 15; i++) stats.record('r', { result: 'mismatch', correlationId: `c${i}`, differences: many });
    const snapshot = stats.snapshot('r');
    expect(snapshot.mismatch).toBe(15);
    expect(snapshot.recentMismatches.map((m) => m.correlationId)).toEqual(
      ['c15', 'c14', 'c13', 'c12', 'c11', 'c10', 'c9', 'c8', 'c7', 'c6'],
    );
    expect(snapshot.recentMismatches[0]?.differences).toHaveLength(10);
    expect(snapshot.recentMismatches[0]?.differenceCount).toBe(30);
  });

  it('tells subscribers about each outcome, survives a broken one, and lets them leave', () => {
    const stats = createShadowStats();
    const seen: Array<[string, ShadowOutcome['result']]> = [];
    stats.onOutcome(() => {
      throw new Error('broken subscriber');
    });
    const leave = stats.onOutcome((routeId, outcome) => seen.push([routeId, outcome.result]));
    stats.record('r', { result: 'match', correlationId: 'c1' });
    leave();
    stats.record('r', { result: 'match', correlationId: 'c2' });
    expect(seen).toEqual([['r', 'match']]);
    expect(stats.snapshot('r').match).toBe(2);
  });
});
