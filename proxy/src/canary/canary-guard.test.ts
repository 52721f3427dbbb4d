import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { until } from '../../../test-support/until.ts';
import type { FinishedRequest } from '../edge/request-state.ts';
import type { FlagState } from '../flags/index.ts';
import { defineRoute } from '../routing/route.ts';
import { createKeyv } from '../storage/keyv-store.ts';
import { StoreUnavailableError } from '../storage/store-unavailable.ts';
import { createCanaryGuard, type CanaryGuard } from './canary-guard.ts';
import { createRollbackStore, type RollbackStore } from './rollback-store.ts';

/**
 * The guard between its statistics and the shared store, with the store in memory (the
 * end-to-end suite runs it on Redis with two proxies): one decision however many instances
 * judge at once, and a rollback that holds on the deciding instance when the store is away.
 */
const route = defineRoute({
  id: 'dash',
  method: 'GET',
  path: '/api/dash',
  flag: 'route.dash',
  owner: 'Team',
  targetDate: '2027-01-01',
  guard: { errors: { minSample: 5 }, latency: false },
  handle: async () => ({ body: {} }),
});
const flag = (rollout: number): FlagState => ({ name: 'route.dash', exists: true, enabled: true, rollout, shadow: false, lastChangedAt: null });

function logCapture() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino(
    { level: 'info' },
    new Writable({
      write(chunk, _enc, cb) {
        for (const l of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
        cb();
      },
    }),
  );
  return { log, lines };
}

function guardOn(store: RollbackStore, instanceId: string, rollout = { value: 50 }) {
  const { log, lines } = logCapture();
  const guard = createCanaryGuard({ routes: [route], flags: { state: () => flag(rollout.value) }, store, instanceId, log, refreshMs: 50 });
  return { guard, lines };
}

let n = 0;
function send(guard: CanaryGuard, decision: 'legacy' | 'migrated', status: number, times: number): void {
  for (let i = 0; i < times; i++) {
    guard.record({ correlationId: `c-${++n}`, startedAt: 0n, method: 'GET', url: '/api/dash', servedBy: decision, route: 'dash', decision, arrivedWith: 'other', status, seconds: 0.01 } satisfies FinishedRequest);
  }
}

describe('the canary guard and the shared store', () => {
  it('two instances judging at once make one rollback, one event, one warn line; both enforce it', async () => {
    const store = createRollbackStore(createKeyv({ namespace: 'guard' }));
    const a = guardOn(store, 'a');
    const b = guardOn(store, 'b');
    await Promise.all([a.guard.start(), b.guard.start()]);
    try {
      for (const { guard } of [a, b]) {
        send(guard, 'legacy', 200, 5);
        send(guard, 'migrated', 503, 5);
      }
      await until(async () => a.guard.rolledBack('dash') && b.guard.rolledBack('dash') && !!(await store.read(['dash'])).get('dash'));
      const view = await a.guard.view('dash');
      expect(view.events).toHaveLength(1);
      expect(view.rollback).toMatchObject({ reason: 'errors', detail: '5xx 100% against legacy 0% over 10 requests (5 on the new route)' });
      const warned = [...a.lines, ...b.lines].filter((l) => l.level === 40 && String(l.msg).startsWith('canary rolled back'));
      expect(warned).toHaveLength(1);
      expect((await b.guard.view('dash')).rollback!.id).toBe(view.rollback!.id);
    } finally {
      a.guard.close();
      b.guard.close();
    }
  });

  it('below the minimum sample nothing happens; a route at 0% is not judged', async () => {
    const store = createRollbackStore(createKeyv({ namespace: 'guard' }));
    const rollout = { value: 0 };
    const { guard } = guardOn(store, 'a', rollout);
    await guard.start();
    try {
      send(guard, 'legacy', 200, 5);
      send(guard, 'migrated', 503, 5);
      rollout.value = 50;
      send(guard, 'migrated', 503, 1); // judged now at 50%: the sample was there all along
      await until(() => guard.rolledBack('dash'));

      const fresh = guardOn(createRollbackStore(createKeyv({ namespace: 'guard' })), 'b');
      await fresh.guard.start();
      send(fresh.guard, 'legacy', 200, 5);
      send(fresh.guard, 'migrated', 503, 4);
      await until(async () => (await fresh.guard.view('dash')).window!.migrated.requests === 4);
      expect(fresh.guard.rolledBack('dash')).toBe(false);
      fresh.guard.close();
    } finally {
      guard.close();
    }
  });

  it('when the store fails, the deciding instance rolls back anyway and shares the rollback once the store is back', async () => {
    const real = createRollbackStore(createKeyv({ namespace: 'guard' }));
    let storeDown = true;
    const flaky: RollbackStore = {
      ...real,
      read: (ids) => (storeDown ? Promise.reject(new StoreUnavailableError('store down')) : real.read(ids)),
      rollBack: (record) => (storeDown ? Promise.reject(new StoreUnavailableError('store down')) : real.rollBack(record)),
    };
    const { guard, lines } = guardOn(flaky, 'a');
    await guard.start();
    try {
      send(guard, 'legacy', 200, 5);
      send(guard, 'migrated', 500, 5);
      await until(() => lines.some((l) => String(l.msg).startsWith('canary rolled back')));
      expect(guard.rolledBack('dash')).toBe(true);
      expect(lines.find((l) => String(l.msg).startsWith('canary rolled back'))).toMatchObject({ canary: { shared: false } });
      storeDown = false;
      await until(async () => (await real.read(['dash'])).has('dash'));
      expect(guard.rolledBack('dash')).toBe(true);
    } finally {
      guard.close();
    }
  });
});
