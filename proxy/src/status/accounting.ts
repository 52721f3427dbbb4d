import type { IncomingMessage } from 'node:http';
import { randomBytes } from 'node:crypto';
import type { Keyv } from 'keyv';
import type { Logger } from 'pino';
import type { FinishedRequest } from '../edge/request-state.ts';
import type { ShadowOutcome } from '../routing/shadow-stats.ts';
import { regroupEndpoints } from './endpoint-regroup.ts';
import { createEndpointTemplates, DEFAULT_LEARN_THRESHOLD, type EndpointTemplates } from './path-template.ts';
import { createRecentRing, type RecentRequest } from './recent-requests.ts';
import type { AuthKind, Side } from './traffic-buckets.ts';
import { createTrafficRecorder } from './traffic-recorder.ts';
import { createTrafficStore, type MismatchDoc, type MismatchNote, type TrafficView } from './traffic-store.ts';

export type { TrafficView, MismatchNote } from './traffic-store.ts';
export type { RecentRequest } from './recent-requests.ts';

/**
 * Traffic accounting for the status page. `record` runs in the edge's finished hook for every
 * request and touches memory only; a background flush (every `flushMs`, and at close) writes
 * this instance's counters to Keyv, where readers add up all instances. Counters fail open:
 * a store that is away costs the page its numbers, never a request.
 */
export interface TrafficAccounting {
  readonly instanceId: string;
  readonly storage: 'memory' | 'redis';
  readonly flushMs: number;
  readonly startedAt: number;
  /**
   * On arrival, before the pipeline changes any header: which credentials came, provisionally
   * (RequestState.arrivedWith): our session cookie, a legacy token not yet checked
   * ('unverified'), or neither. Identity resolution replaces it with what verified.
   */
  arrivedWith(req: IncomingMessage): AuthKind;
  /** A finished request (an edge finished-hook listener). */
  record(done: FinishedRequest): void;
  /** Shadow comparisons, as the shadow stats report them (after the response, off the request path). */
  recordShadow(routeId: string, outcome: ShadowOutcome): void;
  /** Writes what changed since the last flush; resolves when the store has it (or failed). */
  flush(): Promise<void>;
  /** Every instance's counters, added up; flush first for this instance's latest. */
  view(): Promise<TrafficView>;
  /** This instance's memory first, then the shared store (requests flushed within the last hour). */
  lookup(correlationId: string): Promise<RecentRequest | null>;
  /** Stops the timer and flushes one last time (the store itself is closed by its owner). */
  close(): Promise<void>;
}

export interface TrafficAccountingOptions {
  /** From createKeyv({ namespace: 'status', throwOnErrors: false }). */
  keyv: Keyv;
  storage: 'memory' | 'redis';
  flushMs: number;
  /** Cheap: does the Cookie header carry our session cookie? (sessions.carriesCookie) */
  carriesSessionCookie(req: IncomingMessage): boolean;
  /** Cheap: does a legacy token travel where it is configured to? (TokenLocation.carries; default `Authorization: Bearer`) */
  carriesLegacyToken?(req: IncomingMessage): boolean;
  log: Logger;
  now?: () => number;
  /** Recent requests kept in memory (default 10 000). */
  recentCapacity?: number;
  /** How long flushed recent requests stay findable from any instance (default 1 h). */
  recentTtlMs?: number;
  /** Records the requests that finished but wait in the edge's batch (FinishedHook.drain), before a read or a flush. */
  settle?: () => void;
  /** How catch-all paths group into endpoints (default: the fixed rules, learning at the default threshold). */
  templates?: EndpointTemplates;
}

const BEARER = /^\s*bearer(\s|$)/i;
const MISMATCHES_KEPT = 10;
const PATHS_PER_MISMATCH = 10;

export function createTrafficAccounting(opts: TrafficAccountingOptions): TrafficAccounting {
  const now = opts.now ?? Date.now;
  const instanceId = `${process.pid}-${randomBytes(4).toString('hex')}`;
  const startedAt = now();
  const recorder = createTrafficRecorder();
  const templates = opts.templates ?? createEndpointTemplates({ learnThreshold: DEFAULT_LEARN_THRESHOLD });
  const ring = createRecentRing(opts.recentCapacity ?? 10_000, instanceId);
  const store = createTrafficStore(opts.keyv, opts.recentTtlMs ?? 3_600_000);
  const mismatches: MismatchDoc = {};
  let mismatchesChanged = false;
  let recentMark = 0;
  const shareRecent = opts.storage === 'redis';
  let lastFlushAt = startedAt;
  let lastWarnAt = 0;
  let queue: Promise<void> = Promise.resolve();

  const carriesLegacyToken = opts.carriesLegacyToken ?? ((req: IncomingMessage) => req.headers.authorization !== undefined && BEARER.test(req.headers.authorization));
  // Requests whose legacy token is still being checked (each check has its own time limit).
  const checking = new Set<Promise<void>>();

  /** Every finished request recorded, its token check included: before a read or a flush. */
  async function settled(): Promise<void> {
    opts.settle?.();
    if (checking.size) await Promise.all(checking);
  }

  function authKind(req: IncomingMessage): AuthKind {
    if (opts.carriesSessionCookie(req)) return 'session';
    return carriesLegacyToken(req) ? 'unverified' : 'other';
  }

  async function writeOnce(forceIndex: boolean): Promise<void> {
    const at = now();
    const writes = recorder.pending(at);
    // Recent requests go to the store only when other instances read it (Redis): in memory
    // the ring already answers, and a copy of every request for an hour would grow without bound.
    const { entries, mark } = shareRecent ? ring.since(recentMark) : { entries: [], mark: recentMark };
    const mm = mismatchesChanged ? structuredClone(mismatches) : null;
    mismatchesChanged = false;
    const ok = await store.write(instanceId, { startedAt, lastFlushAt: at }, writes, mm, entries, forceIndex);
    if (ok) {
      for (const w of writes) w.done();
      recentMark = mark;
      lastFlushAt = at;
      return;
    }
    if (mm) mismatchesChanged = true;
    if (at - lastWarnAt > 60_000) {
      lastWarnAt = at;
      opts.log.warn({ component: 'status', storage: opts.storage }, 'could not write the traffic counters; the status page lags until the store is back');
    }
  }

  function flush(forceIndex = false): Promise<void> {
    queue = queue.then(() => writeOnce(forceIndex)).catch(() => undefined);
    return queue;
  }

  const timer = setInterval(() => void flush(), opts.flushMs);
  timer.unref();

  return {
    instanceId,
    storage: opts.storage,
    flushMs: opts.flushMs,
    startedAt,
    arrivedWith: authKind,
    record(done) {
      const at = now();
      const ms = done.seconds * 1000;
      const side: Side | 'own' =
        done.servedBy === 'own'
          ? 'own'
          : done.servedBy === 'proxy'
            ? 'refused'
            : done.servedBy === 'migrated'
            ? 'migrated'
            : done.decision === 'legacy' || done.decision === 'shadow'
              ? done.decision
              : done.route === 'catch-all'
                ? 'legacy'
                : 'refused';
      const url = done.url;
      const q = url.indexOf('?');
      ring.push(done.correlationId, at, done.method, q === -1 ? url : url.slice(0, q), done.route, done.servedBy, done.refusal, side, done.status, ms, done.trace?.traceId);
      if (side === 'own') return;
      recorder.request(done.route, side, done.status, ms, at);
      if (done.verifying) {
        // Counted when its token has been checked: what verified, not what the header looked like.
        const counted: Promise<void> = done.verifying.then(() => {
          recorder.auth(done.arrivedWith, at);
          checking.delete(counted);
        });
        checking.add(counted);
      } else recorder.auth(done.arrivedWith, at);
      // Only what the legacy API really served counts towards its unmigrated endpoints.
      if (done.route === 'catch-all' && side === 'legacy') recorder.catchAll(templates.endpoint(done.method, url), at);
    },
    recordShadow(routeId, outcome) {
      const at = now();
      recorder.shadow(routeId, outcome.result, at);
      if (outcome.result !== 'mismatch') return;
      const list = (mismatches[routeId] ??= []);
      const note: MismatchNote = {
        at: new Date(at).toISOString(),
        correlationId: outcome.correlationId,
        paths: [...new Set(outcome.differences.map((d) => d.path))].slice(0, PATHS_PER_MISMATCH),
        differenceCount: outcome.differences.length,
      };
      list.unshift(note);
      list.length = Math.min(list.length, MISMATCHES_KEPT);
      mismatchesChanged = true;
    },
    flush: () => settled().then(() => flush()),
    async view() {
      await settled();
      const view = await store.read(instanceId, { startedAt, lastFlushAt }, now());
      regroupEndpoints(view.days, templates);
      return view;
    },
    async lookup(correlationId) {
      opts.settle?.();
      return ring.find(correlationId) ?? (await store.findRequest(correlationId));
    },
    async close() {
      clearInterval(timer);
      await settled();
      await flush(true);
    },
  };
}
