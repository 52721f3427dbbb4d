import type { RouteGuardView } from '../canary/canary-guard.ts';
import type { GuardSettings } from '../canary/guard-config.ts';
import type { GuardEvent } from '../canary/rollback-store.ts';
import { count, millis, percent, when } from './format.ts';
import type { RouteGuardStatus, RouteRollback } from './snapshot.ts';

const SHADOWABLE = new Set(['GET', 'HEAD']);

/** A route's canary guard for the snapshot: its settings, the rollback in force, its history, in words. */
export function guardStatus(view: RouteGuardView, method: string, now: number): RouteGuardStatus {
  const r = view.rollback;
  const rollback: RouteRollback | null = r && {
    at: r.at,
    reason: r.reason,
    detail: r.detail,
    flag: r.flag,
    instance: r.instance,
    shadowSince: r.shadowSince,
    text: `rolled back automatically at ${when(r.at, now)}: ${r.detail}`,
    recovery: recovery(r.shadowSince, method),
  };
  return {
    settings: view.settings,
    watches: watchWords(view.settings),
    window: view.window,
    rollback,
    events: view.events.map((e) => ({ ...e, text: eventWords(e, now) })),
    shared: view.shared,
  };
}

/** `shadow has matched 200 of the last 200 since the rollback`: reported, never acted on. */
function recovery(since: { match: number; mismatch: number; failed: number }, method: string): string {
  if (!SHADOWABLE.has(method)) return `its recovery cannot be seen: ${method} requests are never shadowed`;
  const total = since.match + since.mismatch + since.failed;
  if (total === 0) return 'nothing compared in shadow since the rollback yet';
  const rest = [since.mismatch ? `${count(since.mismatch)} differed` : '', since.failed ? `the new route failed ${count(since.failed)}` : ''].filter(Boolean);
  return `shadow has matched ${count(since.match)} of the last ${count(total)} since the rollback${rest.length ? ` (${rest.join(', ')})` : ''}`;
}

function eventWords(e: GuardEvent, now: number): string {
  if (e.kind === 'rolled-back') return `Rolled back automatically at ${when(e.at, now)}: ${e.detail}.`;
  if (e.by === 'flag change') return `Cleared at ${when(e.at, now)} by a flag change: ${e.detail}.`;
  return `Cleared by ${e.by ?? 'staff'} at ${when(e.at, now)}: ${e.detail}.`;
}

/** What the guard watches, in words, or that it is off. */
export function watchWords(s: GuardSettings | null): string {
  if (!s) return 'Off for this route (guard: false): nothing rolls it back automatically.';
  const parts = [
    s.errors && `5xx rate more than ${points(s.errors.margin)} above legacy's (at least ${count(s.errors.minSample)} requests on each side)`,
    s.latency && `p95 latency more than ${millis(s.latency.marginMs)} above legacy's (at least ${count(s.latency.minSample)} requests on each side)`,
    s.mismatches && `shadow mismatches above ${percent(s.mismatches.margin)} (at least ${count(s.mismatches.minSample)} compared)`,
  ].filter(Boolean);
  if (parts.length === 0) return 'Every criterion is off for this route: nothing rolls it back automatically.';
  return `Rolls the canary back when, over the last ${duration(s.windowMs)} on an instance: ${parts.join('; or ')}.`;
}

function points(fraction: number): string {
  const p = Math.round(fraction * 1000) / 10;
  return `${p} point${p === 1 ? '' : 's'}`;
}

function duration(ms: number): string {
  return ms % 60_000 === 0 ? `${ms / 60_000} minute${ms === 60_000 ? '' : 's'}` : `${Math.round(ms / 1000)} s`;
}
