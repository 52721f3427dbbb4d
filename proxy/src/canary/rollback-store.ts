import type { Keyv } from 'keyv';
import { createLocks } from '../storage/lock.ts';
import { createWindowCounter } from '../storage/window-counter.ts';
import type { RollbackReason } from './judge.ts';

/** A rollback in force: every instance serves the route's canary users from the legacy API. */
export interface RollbackRecord {
  id: string;
  routeId: string;
  /** ISO time of the decision. */
  at: string;
  reason: RollbackReason;
  detail: string;
  /** The flag as it was: a new state of it (enabled or rollout changed) ends the rollback. */
  flag: { name: string; enabled: boolean; rollout: number };
  /** The instance that decided. */
  instance: string;
}

/** The route's guard history, newest first, for the status page. */
export interface GuardEvent {
  kind: 'rolled-back' | 'cleared';
  at: string;
  detail: string;
  /** Who cleared it: a staff user id, `status token`, or `flag change`. */
  by?: string;
}

export type ShadowResult = 'match' | 'mismatch' | 'failed';

export interface RollbackStore {
  /** The rollbacks in force among these routes. */
  read(routeIds: readonly string[]): Promise<Map<string, RollbackRecord>>;
  /** Puts `record` in force unless a rollback already is: resolves with the one in force, and whether it is this one. */
  rollBack(record: RollbackRecord): Promise<{ inForce: RollbackRecord; created: boolean }>;
  /** Ends the rollback in force (only if its id is `onlyId`, when given) and notes why; null when there was none. */
  clear(routeId: string, event: Omit<GuardEvent, 'kind'>, onlyId?: string): Promise<RollbackRecord | null>;
  events(routeId: string): Promise<GuardEvent[]>;
  /** Counts one shadow comparison made since a rollback; resolves with that result's count so far. */
  countShadow(rollbackId: string, result: ShadowResult): Promise<number>;
  shadowSince(rollbackId: string): Promise<Record<ShadowResult, number>>;
}

const EVENTS_KEPT = 20;
const EVENTS_TTL_MS = 30 * 24 * 3_600_000;
/** Counts since a rollback last as long as a rollback may reasonably stay; the record itself never expires. */
const TALLY_MS = 30 * 24 * 3_600_000;
const RESULTS: readonly ShadowResult[] = ['match', 'mismatch', 'failed'];

/**
 * The guard's shared state, in Keyv (memory, or the Redis every instance shares): one record
 * per rolled-back route, its events, and shadow counts since the rollback. A rollback and its
 * clearing are read-check-write steps under a lock (storage/lock.ts), so two instances that
 * decide at once make one rollback, and one event. Shadow counts are atomic counters.
 *
 * Keys: `rollback:<route>`, `events:<route>`, `hits:shadow:<rollback id>:<result>`, `lock:route:<route>`.
 */
export function createRollbackStore(keyv: Keyv): RollbackStore {
  const locks = createLocks(keyv, { leaseMs: 5_000, waitMs: 3_000 });
  const tally = createWindowCounter(keyv, TALLY_MS);
  const recordKey = (routeId: string) => `rollback:${routeId}`;
  const eventsKey = (routeId: string) => `events:${routeId}`;

  async function addEvent(routeId: string, event: GuardEvent): Promise<void> {
    const list = ((await keyv.get(eventsKey(routeId))) as GuardEvent[] | undefined) ?? [];
    await keyv.set(eventsKey(routeId), [event, ...list].slice(0, EVENTS_KEPT), EVENTS_TTL_MS);
  }

  return {
    async read(routeIds) {
      const values = (await keyv.getMany(routeIds.map(recordKey))) as Array<RollbackRecord | undefined>;
      const found = new Map<string, RollbackRecord>();
      routeIds.forEach((id, i) => {
        const v = values[i];
        if (v && typeof v === 'object' && typeof v.id === 'string') found.set(id, v);
      });
      return found;
    },
    rollBack(record) {
      return locks.withLock(`route:${record.routeId}`, async () => {
        const existing = (await keyv.get(recordKey(record.routeId))) as RollbackRecord | undefined;
        if (existing) return { inForce: existing, created: false };
        await keyv.set(recordKey(record.routeId), record);
        await addEvent(record.routeId, { kind: 'rolled-back', at: record.at, detail: record.detail });
        return { inForce: record, created: true };
      });
    },
    clear(routeId, event, onlyId) {
      return locks.withLock(`route:${routeId}`, async () => {
        const existing = (await keyv.get(recordKey(routeId))) as RollbackRecord | undefined;
        if (!existing || (onlyId !== undefined && existing.id !== onlyId)) return null;
        await keyv.delete(recordKey(routeId));
        await addEvent(routeId, { kind: 'cleared', ...event });
        return existing;
      });
    },
    async events(routeId) {
      return ((await keyv.get(eventsKey(routeId))) as GuardEvent[] | undefined) ?? [];
    },
    async countShadow(rollbackId, result) {
      return (await tally.hit(`shadow:${rollbackId}:${result}`)).count;
    },
    async shadowSince(rollbackId) {
      const counts = await Promise.all(RESULTS.map((r) => tally.peek(`shadow:${rollbackId}:${r}`)));
      return Object.fromEntries(RESULTS.map((r, i) => [r, counts[i]?.count ?? 0])) as Record<ShadowResult, number>;
    },
  };
}
