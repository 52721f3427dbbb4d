import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { FinishedRequest } from '../edge/request-state.ts';
import type { Flags, FlagState } from '../flags/index.ts';
import type { MigratedRoute } from '../routing/route.ts';
import type { ShadowOutcome } from '../routing/shadow-stats.ts';
import { resolveGuard, type GuardSettings } from './guard-config.ts';
import { judge, type Verdict } from './judge.ts';
import type { GuardEvent, RollbackRecord, RollbackStore, ShadowResult } from './rollback-store.ts';
import { createRouteWindow, type RouteWindow, type WindowFigures } from './route-window.ts';

export interface CanaryGuardOptions {
  routes: readonly MigratedRoute[];
  flags: Pick<Flags, 'state'>;
  store: RollbackStore;
  instanceId: string;
  log: Logger;
  now?: () => number;
  /** How often the shared decisions are read (default 1000 ms). */
  refreshMs?: number;
}

/** One route's guard as the status page shows it. */
export interface RouteGuardView {
  /** null: the route declares `guard: false`. */
  settings: GuardSettings | null;
  /** This instance's window now (the guard judges each instance's own traffic). */
  window: WindowFigures | null;
  rollback: (RollbackRecord & { shadowSince: Record<ShadowResult, number> }) | null;
  /** Newest first. */
  events: GuardEvent[];
  /** False when the shared store could not be read: what this instance knows. */
  shared: boolean;
}

export type ClearOutcome = { cleared: RollbackRecord } | { notRolledBack: true } | { unknownRoute: true };

export interface CanaryGuard {
  /** Per request on a migrated route, so a Map look-up: the decisions are refreshed in the background. */
  rolledBack(routeId: string): boolean;
  /** Routes the guard watches (not `guard: false`). */
  routeIds(): string[];
  /** A finished request (an edge finished-hook listener). */
  record(done: FinishedRequest): void;
  recordShadow(routeId: string, outcome: ShadowOutcome): void;
  /** Staff end a rollback; `by` is who, for the log and the events. */
  clear(routeId: string, by: string): Promise<ClearOutcome>;
  view(routeId: string): Promise<RouteGuardView>;
  /** Hears the rollbacks this instance decides (metrics); returns the unsubscribe function. */
  onRollback(listener: (record: RollbackRecord) => void): () => void;
  /** Reads the decisions in force, before the first request; then keeps reading them. */
  start(): Promise<void>;
  close(): void;
}

interface Guarded {
  route: MigratedRoute;
  settings: GuardSettings;
  window: RouteWindow;
  judgedAt: number;
}

/** Shadow errors that are the new route's fault (the others say nothing about it). */
const NEW_SIDE_FAULTS = new Set(['migrated handler threw', 'migrated answer not JSON']);
const JUDGE_EVERY_MS = 250;
const WARN_EVERY_MS = 30_000;

/**
 * The canary guard. Each instance compares the two sides of its own traffic over a sliding
 * window (route-window.ts, judge.ts); when the new route does worse, the instance writes the
 * rollback to the shared store and stops serving the canary at once. Every instance reads the
 * decisions once a second, so all of them follow within about a second. While rolled back, the
 * canary's users are served by the legacy API, shadowed (reads only) so a recovery shows; it is
 * reported, never acted on: the rollback stays until staff clear it or the flag changes.
 */
export function createCanaryGuard(opts: CanaryGuardOptions): CanaryGuard {
  const now = opts.now ?? Date.now;
  const log = opts.log.child({ component: 'canary-guard' });
  const guarded = new Map<string, Guarded>();
  for (const route of opts.routes) {
    const settings = resolveGuard(route.guard);
    if (settings) guarded.set(route.id, { route, settings, window: createRouteWindow(settings.windowMs), judgedAt: 0 });
  }
  const known = new Set(opts.routes.map((r) => r.id));
  /** Rollbacks this instance enforces: as last read from the store, or decided here. */
  const enforced = new Map<string, RollbackRecord>();
  /** Decided here while the store could not take it: enforced here, written again each refresh. */
  const unshared = new Map<string, RollbackRecord>();
  const deciding = new Set<string>();
  const listeners = new Set<(record: RollbackRecord) => void>();
  let timer: NodeJS.Timeout | undefined;
  let refreshing = false;
  /** Bumped by every decision and clearing here: a store read that started before one is stale. */
  let epoch = 0;
  let warnedAt = -Infinity;

  const iso = (at = now()) => new Date(at).toISOString();
  const flagChanged = (record: RollbackRecord, flag: FlagState) => flag.enabled !== record.flag.enabled || flag.rollout !== record.flag.rollout;
  const flagWords = (f: Pick<FlagState, 'enabled' | 'rollout'>) => (f.enabled ? `${f.rollout}%` : 'off');

  function warnStore(err: unknown, what: string): void {
    if (now() - warnedAt < WARN_EVERY_MS) return;
    warnedAt = now();
    log.warn({ err }, `canary guard: the shared store failed (${what}); this instance keeps what it knows`);
  }

  function judgeRoute(g: Guarded, at: number): void {
    g.judgedAt = at;
    const id = g.route.id;
    if (enforced.has(id) || deciding.has(id)) return;
    const flag = opts.flags.state(g.route.flag);
    // Only while the flag serves some users from the new route: at 100% for as long as the
    // window still holds legacy answers to compare with.
    if (!flag.enabled || flag.rollout < 1) return;
    const verdict = judge(g.window.figures(at), g.settings);
    if (verdict) void rollBack(g, verdict, flag);
  }

  async function rollBack(g: Guarded, verdict: Verdict, flag: FlagState): Promise<void> {
    const id = g.route.id;
    const record: RollbackRecord = { id: randomUUID(), routeId: id, at: iso(), ...verdict, flag: { name: flag.name, enabled: flag.enabled, rollout: flag.rollout }, instance: opts.instanceId };
    enforced.set(id, record); // this instance at once, whatever the store does
    deciding.add(id);
    epoch++;
    let shared = true;
    try {
      const { inForce, created } = await opts.store.rollBack(record);
      enforced.set(id, inForce);
      if (!created) return; // another instance decided first: its rollback, its event
    } catch (err) {
      shared = false;
      unshared.set(id, record);
      warnStore(err, 'writing a rollback');
    } finally {
      deciding.delete(id);
    }
    log.warn(
      { canary: { routeId: id, reason: record.reason, detail: record.detail, flag: record.flag.name, rollout: record.flag.rollout, rollbackId: record.id, shared } },
      `canary rolled back: ${id} is served by the legacy API for everyone (${record.detail})${shared ? '' : '; not yet shared with other instances'}`,
    );
    for (const listener of listeners) {
      try {
        listener(record);
      } catch {
        // Counting is best effort: the rollback stands.
      }
    }
  }

  function forget(g: Guarded): void {
    epoch++;
    enforced.delete(g.route.id);
    unshared.delete(g.route.id);
    // A fresh comparison for the new route: what it did before the rollback must not roll it back again.
    g.window.resetNewSide();
  }

  /** A new state of the flag ends the rollback (on every instance: the first to notice clears it). */
  async function clearForFlag(g: Guarded, record: RollbackRecord, flag: FlagState): Promise<void> {
    const detail = `flag ${record.flag.name} changed from ${flagWords(record.flag)} to ${flagWords(flag)}`;
    forget(g);
    const cleared = await opts.store.clear(g.route.id, { at: iso(), detail, by: 'flag change' }, record.id).catch((err: unknown) => (warnStore(err, 'clearing a rollback'), null));
    if (cleared) log.info({ canary: { routeId: g.route.id, by: 'flag change', rollbackId: record.id } }, `canary rollback of ${g.route.id} cleared by a flag change: ${detail}`);
  }

  async function refresh(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    try {
      await follow();
    } catch (err) {
      warnStore(err, 'reading or sharing the rollbacks');
      // The flag changed while the store is away: this instance follows the flag now; the store's
      // record is cleared once it answers again.
      for (const g of guarded.values()) {
        const record = enforced.get(g.route.id);
        if (record && flagChanged(record, opts.flags.state(g.route.flag))) forget(g);
      }
    } finally {
      refreshing = false;
    }
    // Judged even while the store is away: this instance can still stop serving a failing canary.
    const at = now();
    for (const g of guarded.values()) judgeRoute(g, at);
  }

  /** Takes the decisions in force from the store; shares one made here that it could not write before. */
  async function follow(): Promise<void> {
    const before = epoch;
    const stored = await opts.store.read([...guarded.keys()]);
    if (epoch !== before) return; // decided or cleared here meanwhile: the next read is fresh
    for (const g of guarded.values()) {
      const id = g.route.id;
      if (deciding.has(id)) continue;
      const record = unshared.get(id) ?? stored.get(id);
      const flag = opts.flags.state(g.route.flag);
      if (record && flagChanged(record, flag)) await clearForFlag(g, record, flag);
      else if (record && unshared.has(id)) {
        const { inForce } = await opts.store.rollBack(record);
        unshared.delete(id);
        enforced.set(id, inForce);
      } else if (record) enforced.set(id, record);
      else if (enforced.has(id)) forget(g); // cleared on another instance
    }
  }

  async function countSince(g: Guarded, rollback: RollbackRecord, result: ShadowResult): Promise<void> {
    const n = await opts.store.countShadow(rollback.id, result);
    const enough = g.settings.mismatches?.minSample ?? 50;
    if (result !== 'match' || n !== enough) return;
    const since = await opts.store.shadowSince(rollback.id);
    if (since.mismatch + since.failed > 0) return;
    log.info(
      { canary: { routeId: g.route.id, rollbackId: rollback.id, matched: n } },
      `canary route ${g.route.id} has matched ${n} of ${n} shadow comparisons since its rollback; it stays rolled back until staff clear it`,
    );
  }

  return {
    rolledBack: (routeId) => enforced.has(routeId),
    routeIds: () => [...guarded.keys()],
    record(done) {
      const g = guarded.get(done.route);
      // The proxy's own refusals and clients that left say nothing about either side.
      if (!g || done.servedBy === 'proxy' || done.status === 499 || done.decision === undefined) return;
      const at = now();
      g.window.record(done.decision === 'migrated' ? 'migrated' : 'legacy', done.status >= 500, done.seconds * 1000, at);
      if (at - g.judgedAt >= JUDGE_EVERY_MS) judgeRoute(g, at);
    },
    recordShadow(routeId, outcome) {
      const g = guarded.get(routeId);
      if (!g) return;
      const result: ShadowResult | null =
        outcome.result === 'match' ? 'match' : outcome.result === 'mismatch' ? 'mismatch' : outcome.result === 'error' && NEW_SIDE_FAULTS.has(outcome.reason) ? 'failed' : null;
      if (!result) return;
      const rollback = enforced.get(routeId);
      if (rollback) {
        countSince(g, rollback, result).catch((err: unknown) => warnStore(err, 'counting shadow comparisons'));
        return;
      }
      const at = now();
      g.window.recordShadow(result !== 'match', at);
      if (at - g.judgedAt >= JUDGE_EVERY_MS) judgeRoute(g, at);
    },
    async clear(routeId, by) {
      const g = guarded.get(routeId);
      if (!g) return known.has(routeId) ? { notRolledBack: true } : { unknownRoute: true };
      const flag = opts.flags.state(g.route.flag);
      const local = unshared.get(routeId);
      const cleared = await opts.store.clear(routeId, { at: iso(), detail: `the canary is served again (flag ${g.route.flag} at ${flagWords(flag)})`, by });
      const ended = cleared ?? local;
      if (!ended) return { notRolledBack: true };
      forget(g);
      log.info({ canary: { routeId, by, rollbackId: ended.id } }, `canary rollback of ${routeId} cleared by ${by}: the canary is served again`);
      return { cleared: ended };
    },
    async view(routeId) {
      const g = guarded.get(routeId);
      if (!g) return { settings: null, window: null, rollback: null, events: [], shared: true };
      const window = g.window.figures(now());
      try {
        const [stored, events] = await Promise.all([opts.store.read([routeId]), opts.store.events(routeId)]);
        const record = unshared.get(routeId) ?? stored.get(routeId) ?? null;
        const rollback = record ? { ...record, shadowSince: await opts.store.shadowSince(record.id) } : null;
        return { settings: g.settings, window, rollback, events, shared: true };
      } catch {
        const record = enforced.get(routeId);
        return { settings: g.settings, window, rollback: record ? { ...record, shadowSince: { match: 0, mismatch: 0, failed: 0 } } : null, events: [], shared: false };
      }
    },
    onRollback(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async start() {
      await refresh();
      timer = setInterval(() => void refresh(), opts.refreshMs ?? 1_000);
      timer.unref();
    },
    close() {
      clearInterval(timer);
    },
  };
}
