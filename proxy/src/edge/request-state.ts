import type { IncomingMessage } from 'node:http';
import type { RequestTrace } from '../tracing/request-trace.ts';

/**
 * Who served a request: the legacy API, a migrated route, the proxy's own endpoints, or the
 * proxy refusing it on the way (its reason in `refusal`).
 */
export type ServedBy = 'legacy' | 'migrated' | 'own' | 'proxy';

/** What the pipeline learns about one request; read by the log line, the metrics and the status page. */
export interface RequestState {
  correlationId: string;
  startedAt: bigint;
  method: string;
  /** As the client sent it, in origin-form (edge/request-target.ts); routing may rewrite `req.url` later. */
  url: string;
  servedBy: ServedBy;
  /** `catch-all`, a migrated route's id, or the own endpoint's name. */
  route: string;
  /** For migrated routes: what the flags decided (`legacy`, `shadow`, `migrated`). */
  decision?: 'legacy' | 'shadow' | 'migrated';
  /**
   * How the request proved who it is, for the status page's dual-auth window: on arrival,
   * from the raw headers ('unverified' while a legacy token waits to be checked); then, once
   * identity is resolved, what verified (identity/resolve-caller.ts authKindOf).
   */
  arrivedWith: 'session' | 'legacyJwt' | 'unverified' | 'other';
  /** A legacy token checked on the side of a request forwarded without the gate: arrivedWith is final once it settles. */
  verifying?: Promise<void>;
  /** Why the proxy answered itself instead of passing the request on (servedBy 'proxy'): a problem type's name. */
  refusal?: string;
  /** Whose share of the legacy pool the request counts against while in flight (legacy/client-share.ts). */
  shareKey?: string;
  /** Its span and trace ids, only while tracing is on (tracing/server-span.ts). */
  trace?: RequestTrace;
}

/** A request whose response is over: the status the client got (499 if it left first) and how long it took. */
export interface FinishedRequest extends RequestState {
  status: number;
  seconds: number;
}

const STATE = Symbol('strangler.requestState');

export function setState(req: IncomingMessage, state: RequestState): void {
  (req as unknown as Record<symbol, RequestState>)[STATE] = state;
}

/**
 * The proxy answers this request itself, on the way to a backend: the log line, the status
 * lookup, the metrics and the status counts say so, with the reason, never "legacy".
 */
export function refuse(req: IncomingMessage, reason: string): void {
  const state = stateOf(req);
  if (state === undefined) return;
  state.servedBy = 'proxy';
  state.refusal = reason;
}

export function stateOf(req: IncomingMessage): RequestState {
  return (req as unknown as Record<symbol, RequestState>)[STATE]!;
}
