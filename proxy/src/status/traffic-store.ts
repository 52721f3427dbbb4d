import type { Keyv, KeyvEntry } from 'keyv';
import { createSetStore } from '../storage/set-store.ts';
import type { RecentRequest } from './recent-requests.ts';
import type { PendingWrite } from './traffic-recorder.ts';
import { DAY, HOUR, MINUTE, addSeriesDoc, addDayDoc, newDayAgg, type DayAgg, type DayDoc, type RouteAggs, type SeriesDoc } from './traffic-buckets.ts';

/**
 * The counters in Keyv (memory, or Redis shared by every instance). Each instance writes only
 * its own documents, whole, so no write ever races another instance's; readers add them up.
 * An index (a set every instance adds itself to atomically) lists the instances that wrote, so a
 * reader knows whose documents to fetch.
 *
 * Keys: `instance-ids` (the set), `instance:<instance>` (its start and last flush);
 * `m:<instance>:<minute start>`, `h:<instance>:<hour start>`, `d:<instance>:<UTC day start>`,
 * `mm:<instance>` (latest shadow mismatches), `req:<correlation id>`.
 */

export interface InstanceEntry {
  startedAt: number;
  lastFlushAt: number;
}
type InstanceIndex = Record<string, InstanceEntry>;

export interface MismatchNote {
  at: string;
  correlationId: string;
  /** Field paths that differed (at most 10), e.g. `courses[0].title`. */
  paths: string[];
  differenceCount: number;
}
export type MismatchDoc = Record<string, MismatchNote[]>;

export interface TrafficView {
  now: number;
  /** The last 60 minute buckets, 24 and 168 hour buckets (each including the current, partial one). */
  windows: { hour: RouteAggs; day: RouteAggs; week: RouteAggs };
  windowStarts: { hour: number; day: number; week: number };
  /** UTC days, newest first, as far back as DAYS_KEPT. */
  days: DayAgg[];
  /** Per route, newest first, across instances. */
  mismatches: Record<string, MismatchNote[]>;
  instances: Array<{ id: string; startedAt: number; lastFlushAt: number; self: boolean }>;
  /** The earliest start of any instance that counted into this store. */
  countingSince: number;
}

export interface TrafficStore {
  /** Writes this instance's changed documents and re-asserts it in the index. False: the store failed. */
  write(instance: string, entry: InstanceEntry, writes: PendingWrite[], mismatches: MismatchDoc | null, recent: RecentRequest[], forceIndex: boolean): Promise<boolean>;
  read(self: string, selfEntry: InstanceEntry, now: number): Promise<TrafficView>;
  findRequest(correlationId: string): Promise<RecentRequest | null>;
}

export const DAYS_KEPT = 15;
const TTL = { m: 2 * HOUR, h: 8 * DAY, d: (DAYS_KEPT + 1) * DAY, mm: 8 * DAY, index: 30 * DAY } as const;
/** An instance re-asserts its index entry at least this often (and whenever it is missing). */
const INDEX_REFRESH_MS = MINUTE;
/** Instances silent for longer are dropped from the index: their documents have expired. */
const FORGET_AFTER_MS = (DAYS_KEPT + 1) * DAY;
const MISMATCHES_SHOWN = 10;
const INDEX_KEY = 'instance-ids';
const entryKey = (instance: string) => `instance:${instance}`;
/** Where earlier versions kept the whole index as one value; read beside the set until it expires. */
const LEGACY_INDEX_KEY = 'instances';

export function createTrafficStore(keyv: Keyv, recentTtlMs: number): TrafficStore {
  const sets = createSetStore(keyv);
  // Every instance this one has seen in the index. A failed read (the store fails open: it looks
  // like a missing key) must not make an instance's counters vanish from the sums: entries leave
  // only by age.
  const seen: InstanceIndex = {};

  async function index(self: string, now: number): Promise<{ known: InstanceIndex; listed: boolean }> {
    const ids = await sets.members(INDEX_KEY);
    const values = (await keyv.getMany([...ids.map(entryKey), LEGACY_INDEX_KEY])) as unknown[];
    const legacy = values.pop();
    const stored: InstanceIndex = isObject(legacy) ? { ...(legacy as InstanceIndex) } : {};
    ids.forEach((id, i) => {
      if (isObject(values[i])) stored[id] = values[i] as InstanceEntry;
    });
    for (const [id, e] of Object.entries(stored)) {
      if (!seen[id] || e.lastFlushAt > seen[id].lastFlushAt) seen[id] = e;
    }
    for (const [id, e] of Object.entries(seen)) if (now - e.lastFlushAt > FORGET_AFTER_MS) delete seen[id];
    // An entry expires FORGET_AFTER_MS after its instance's last flush; its id goes then too. Not
    // the ids of entries seen lately: a failed read also looks like an entry that is gone.
    await sets.remove(INDEX_KEY, ids.filter((id) => !seen[id]));
    return { known: { ...seen }, listed: ids.includes(self) };
  }

  return {
    async write(instance, entry, writes, mismatches, recent, forceIndex) {
      try {
        const entries: KeyvEntry[] = writes.map((w) => ({ key: `${w.kind}:${instance}:${w.start}`, value: w.doc, ttl: TTL[w.kind] }));
        if (mismatches) entries.push({ key: `mm:${instance}`, value: mismatches, ttl: TTL.mm });
        for (const r of recent) {
          entries.push({ key: `req:${r.correlationId}`, value: r, ttl: recentTtlMs });
          // Support staff may start from the trace id (the frontend shows traceresponse) as well.
          if (r.traceId !== undefined && r.traceId !== r.correlationId) entries.push({ key: `req:${r.traceId}`, value: r, ttl: recentTtlMs });
        }
        const { known, listed } = await index(instance, entry.lastFlushAt);
        const mine = known[instance];
        const reassert = forceIndex || !listed || !mine || entry.lastFlushAt - mine.lastFlushAt >= INDEX_REFRESH_MS;
        if (reassert) {
          seen[instance] = entry;
          entries.push({ key: entryKey(instance), value: entry, ttl: FORGET_AFTER_MS });
        }
        if (entries.length === 0) return true;
        const results = await keyv.setMany(entries);
        // The Redis adapter resolves with nothing on success; a failure comes back as `false`s.
        const ok = !Array.isArray(results) || results.every(Boolean);
        // The entry before the id: a reader that finds an id without its entry takes it for expired.
        if (reassert && ok) await sets.add(INDEX_KEY, [instance], TTL.index);
        return ok;
      } catch {
        return false;
      }
    },

    async read(self, selfEntry, now) {
      const { known } = await index(self, now);
      known[self] = selfEntry;
      const minuteNow = now - (now % MINUTE);
      const hourNow = now - (now % HOUR);
      const dayNow = now - (now % DAY);
      const windowStarts = { hour: minuteNow - 59 * MINUTE, day: hourNow - 23 * HOUR, week: hourNow - 167 * HOUR };

      const keys: string[] = [];
      const slots: Array<{ kind: 'm' | 'h' | 'd' | 'mm'; start: number }> = [];
      for (const [id, e] of Object.entries(known)) {
        // Only the buckets this instance can have written: from its start to its last flush.
        const from = e.startedAt;
        const to = id === self ? now : Math.min(now, e.lastFlushAt + 5 * MINUTE);
        const add = (kind: 'm' | 'h' | 'd', span: number, first: number, last: number) => {
          for (let start = first; start <= last; start += span) {
            if (start + span > from && start <= to) {
              keys.push(`${kind}:${id}:${start}`);
              slots.push({ kind, start });
            }
          }
        };
        add('m', MINUTE, windowStarts.hour, minuteNow);
        add('h', HOUR, windowStarts.week, hourNow);
        add('d', DAY, dayNow - (DAYS_KEPT - 1) * DAY, dayNow);
        keys.push(`mm:${id}`);
        slots.push({ kind: 'mm', start: 0 });
      }
      const values = keys.length ? ((await keyv.getMany(keys)) as unknown[]) : [];

      const windows = { hour: new Map(), day: new Map(), week: new Map() } as TrafficView['windows'];
      const days = new Map<number, DayAgg>();
      for (let d = 0; d < DAYS_KEPT; d++) days.set(dayNow - d * DAY, newDayAgg(dayNow - d * DAY));
      const mismatches: Record<string, MismatchNote[]> = {};
      slots.forEach((slot, i) => {
        const value = values[i];
        if (value === undefined || value === null || typeof value !== 'object') return;
        if (slot.kind === 'm') addSeriesDoc(windows.hour, value as SeriesDoc);
        else if (slot.kind === 'h') {
          addSeriesDoc(windows.week, value as SeriesDoc);
          if (slot.start >= windowStarts.day) addSeriesDoc(windows.day, value as SeriesDoc);
        } else if (slot.kind === 'd') addDayDoc(days.get(slot.start)!, value as DayDoc);
        else {
          for (const [route, notes] of Object.entries(value as MismatchDoc)) {
            if (Array.isArray(notes)) (mismatches[route] ??= []).push(...notes);
          }
        }
      });
      for (const route of Object.keys(mismatches)) {
        mismatches[route] = mismatches[route]!.sort((a, b) => b.at.localeCompare(a.at)).slice(0, MISMATCHES_SHOWN);
      }

      const instances = Object.entries(known)
        .map(([id, e]) => ({ id, startedAt: e.startedAt, lastFlushAt: e.lastFlushAt, self: id === self }))
        .sort((a, b) => a.startedAt - b.startedAt);
      return {
        now,
        windows,
        windowStarts,
        days: [...days.values()],
        mismatches,
        instances,
        countingSince: Math.min(...instances.map((i) => i.startedAt)),
      };
    },

    async findRequest(correlationId) {
      try {
        const value = (await keyv.get(`req:${correlationId}`)) as RecentRequest | undefined;
        return value && typeof value === 'object' ? value : null;
      } catch {
        return null;
      }
    },
  };
}

const isObject = (value: unknown): value is object => value !== null && typeof value === 'object';
