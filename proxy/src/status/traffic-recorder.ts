import { bucketOf } from './histogram.ts';
import type { Endpoint } from './path-template.ts';
import {
  DAY,
  HOUR,
  MINUTE,
  countEndpoint,
  newDayAgg,
  routeAgg,
  sideAgg,
  toDayDoc,
  toSeriesDoc,
  type AuthKind,
  type DayAgg,
  type DayDoc,
  type RouteAggs,
  type SeriesDoc,
  type ShadowResult,
  type Side,
} from './traffic-buckets.ts';

/**
 * This instance's counters since its last flush: the current minute, hour and UTC day (and
 * the previous ones until they are written). Recording is a few Map look-ups and additions,
 * no I/O and no allocation beyond a new bucket when the clock rolls over.
 */

interface Versioned {
  start: number;
  /** Bumped by every change; the bucket needs writing while it differs from `written`. */
  changes: number;
  written: number;
}
interface SeriesBucket extends Versioned {
  routes: RouteAggs;
}
interface DayBucket extends Versioned {
  day: DayAgg;
}

export interface PendingWrite {
  kind: 'm' | 'h' | 'd';
  start: number;
  doc: SeriesDoc | DayDoc;
  /** Marks the bucket written as of this snapshot (call when the store took it). */
  done(): void;
}

export interface TrafficRecorder {
  request(route: string, side: Side, status: number, ms: number, now: number): void;
  auth(kind: AuthKind, now: number): void;
  catchAll(endpoint: Endpoint, now: number): void;
  shadow(route: string, result: ShadowResult, now: number): void;
  /** Snapshots of every bucket changed since it was last written; drops closed, written buckets. */
  pending(now: number): PendingWrite[];
}

/** How long a bucket that could not be written is kept for another try. */
const KEEP_UNWRITTEN = { m: HOUR, h: 7 * DAY, d: 14 * DAY } as const;
const SPAN = { m: MINUTE, h: HOUR, d: DAY } as const;

export function createTrafficRecorder(): TrafficRecorder {
  const minutes = new Map<number, SeriesBucket>();
  const hours = new Map<number, SeriesBucket>();
  const days = new Map<number, DayBucket>();
  let minute: SeriesBucket | null = null;
  let hour: SeriesBucket | null = null;
  let day: DayBucket | null = null;

  function series(map: Map<number, SeriesBucket>, current: SeriesBucket | null, span: number, now: number): SeriesBucket {
    // A clock stepping back counts into the current bucket: recreating a written one would overwrite it.
    if (current && now < current.start + span) return current;
    const start = now - (now % span);
    let bucket = map.get(start);
    if (!bucket) map.set(start, (bucket = { start, changes: 0, written: 0, routes: new Map() }));
    return bucket;
  }

  function currentDay(now: number): DayBucket {
    if (day && now < day.start + DAY) return day;
    const start = now - (now % DAY);
    let bucket = days.get(start);
    if (!bucket) days.set(start, (bucket = { start, changes: 0, written: 0, day: newDayAgg(start) }));
    return (day = bucket);
  }

  function both(now: number): [SeriesBucket, SeriesBucket] {
    minute = series(minutes, minute, MINUTE, now);
    hour = series(hours, hour, HOUR, now);
    minute.changes++;
    hour.changes++;
    return [minute, hour];
  }

  function collect<B extends Versioned>(map: Map<number, B>, kind: PendingWrite['kind'], toDoc: (b: B) => SeriesDoc | DayDoc, now: number, out: PendingWrite[]): void {
    for (const [start, bucket] of map) {
      const closed = now >= start + SPAN[kind];
      if (bucket.changes !== bucket.written) {
        if (closed && now - start > KEEP_UNWRITTEN[kind]) {
          map.delete(start); // the store has been away too long: give this one up
          continue;
        }
        const changes = bucket.changes;
        out.push({ kind, start, doc: toDoc(bucket), done: () => void (bucket.written = Math.max(bucket.written, changes)) });
      } else if (closed) map.delete(start);
    }
  }

  return {
    request(route, side, status, ms, now) {
      for (const bucket of both(now)) {
        const agg = routeAgg(bucket.routes, route);
        if (side === 'refused') {
          agg.refused++;
          continue;
        }
        const s = sideAgg(agg, side);
        s.n++;
        if (status >= 500) s.e5++;
        const b = bucketOf(ms);
        s.hist[b] = s.hist[b]! + 1;
      }
    },
    auth(kind, now) {
      const d = currentDay(now);
      d.changes++;
      d.day.auth[kind]++;
    },
    catchAll(endpoint, now) {
      const d = currentDay(now);
      d.changes++;
      countEndpoint(d.day, endpoint.key, endpoint.source, now);
    },
    shadow(route, result, now) {
      for (const bucket of both(now)) routeAgg(bucket.routes, route).parity[result]++;
    },
    pending(now) {
      const out: PendingWrite[] = [];
      collect(minutes, 'm', (b) => toSeriesDoc(b.start, b.routes), now, out);
      collect(hours, 'h', (b) => toSeriesDoc(b.start, b.routes), now, out);
      collect(days, 'd', (b) => toDayDoc(b.day), now, out);
      if (minute && !minutes.has(minute.start)) minute = null;
      if (hour && !hours.has(hour.start)) hour = null;
      if (day && !days.has(day.start)) day = null;
      return out;
    },
  };
}
