import type { ServedBy } from '../edge/request-state.ts';

/**
 * "Which backend served this request?": the last N requests of this instance, by correlation
 * id (or, with tracing on, trace id), in a ring of reused slots (no allocation per request once it is full). The flush copies
 * new entries to the shared store so any instance can answer for a while.
 */

export interface RecentRequest {
  correlationId: string;
  /** ISO time the response finished. */
  at: string;
  method: string;
  /** The path the client asked for, without the query. */
  path: string;
  /** A migrated route's id, `catch-all`, or `own` (the proxy's own endpoints). */
  route: string;
  servedBy: ServedBy;
  /** Why the proxy answered itself, when it did (servedBy 'proxy'). */
  refusal?: string;
  /** `legacy`, `shadow`, `migrated`, `refused` (the proxy answered before the flags decided) or `own`. */
  side: string;
  status: number;
  durationMs: number;
  /** The proxy instance that served it. */
  instance: string;
  /** Its trace (W3C trace id), when tracing was on. */
  traceId?: string;
}

interface Slot {
  correlationId: string;
  at: number;
  method: string;
  path: string;
  route: string;
  servedBy: RecentRequest['servedBy'];
  refusal: string | undefined;
  side: string;
  status: number;
  durationMs: number;
  traceId: string | undefined;
}

export interface RecentRing {
  push(correlationId: string, at: number, method: string, path: string, route: string, servedBy: RecentRequest['servedBy'], refusal: string | undefined, side: string, status: number, durationMs: number, traceId: string | undefined): void;
  /** The newest request with this correlation id or trace id, if still in the ring. */
  find(id: string): RecentRequest | null;
  /** Requests pushed after `mark` (at most the ring's size) and the mark to pass next time. */
  since(mark: number): { entries: RecentRequest[]; mark: number };
}

const MAX_PATH = 256;

export function createRecentRing(capacity: number, instance: string): RecentRing {
  const slots: Slot[] = [];
  let written = 0;

  const view = (s: Slot): RecentRequest => ({
    correlationId: s.correlationId,
    at: new Date(s.at).toISOString(),
    method: s.method,
    path: s.path,
    route: s.route,
    servedBy: s.servedBy,
    ...(s.refusal === undefined ? {} : { refusal: s.refusal }),
    side: s.side,
    status: s.status,
    durationMs: Math.round(s.durationMs * 10) / 10,
    instance,
    ...(s.traceId === undefined ? {} : { traceId: s.traceId }),
  });

  return {
    push(correlationId, at, method, path, route, servedBy, refusal, side, status, durationMs, traceId) {
      const i = written % capacity;
      const slot = slots[i];
      const p = path.length > MAX_PATH ? path.slice(0, MAX_PATH) : path;
      if (slot) {
        slot.correlationId = correlationId;
        slot.at = at;
        slot.method = method;
        slot.path = p;
        slot.route = route;
        slot.servedBy = servedBy;
        slot.refusal = refusal;
        slot.side = side;
        slot.status = status;
        slot.durationMs = durationMs;
        slot.traceId = traceId;
      } else slots[i] = { correlationId, at, method, path: p, route, servedBy, refusal, side, status, durationMs, traceId };
      written++;
    },
    find(id) {
      for (let k = written - 1; k >= 0 && k >= written - capacity; k--) {
        const slot = slots[k % capacity]!;
        if (slot.correlationId === id || slot.traceId === id) return view(slot);
      }
      return null;
    },
    since(mark) {
      const from = Math.max(mark, written - capacity);
      const entries: RecentRequest[] = [];
      for (let k = from; k < written; k++) entries.push(view(slots[k % capacity]!));
      return { entries, mark: written };
    },
  };
}
