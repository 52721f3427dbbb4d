import type { IncomingMessage } from 'node:http';

/** Who served a request: the legacy API, a migrated route, or the proxy itself. */
export type ServedBy = 'legacy' | 'migrated' | 'own';

/** What the pipeline learns about one request; read by the log line and the metrics. */
export interface RequestState {
  correlationId: string;
  startedAt: bigint;
  servedBy: ServedBy;
  /** `catch-all`, a migrated route's id, or the own endpoint's name. */
  route: string;
  /** For migrated routes: what the flags decided (`legacy`, `shadow`, `migrated`). */
  decision?: 'legacy' | 'shadow' | 'migrated';
  /**
   * The credentials the request arrived with, read from the raw headers on arrival (the
   * pipeline later swaps our cookie for a minted bearer): the status page's dual-auth shares.
   */
  arrivedWith?: 'session' | 'legacyJwt' | 'other';
}

const STATE = Symbol('strangler.requestState');

export function setState(req: IncomingMessage, state: RequestState): void {
  (req as unknown as Record<symbol, RequestState>)[STATE] = state;
}

export function stateOf(req: IncomingMessage): RequestState {
  return (req as unknown as Record<symbol, RequestState>)[STATE]!;
}
