import type { IncomingHttpHeaders } from 'node:http';
import type { Logger } from 'pino';
import type { LegacyCaller } from '../legacy/client.ts';
import type { GuardDeclaration } from '../canary/guard-config.ts';
import type { EndpointPolicyOverrides } from '../legacy/policies.ts';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** A verified caller. Migrated routes only ever run with one. */
export interface Caller {
  /** The user's id in the legacy API (the legacy JWT's `sub`). */
  userId: string;
  username?: string;
  roles: string[];
  /** How the caller proved who they are. */
  via: 'session' | 'legacy-jwt';
}

export interface RouteContext {
  correlationId: string;
  params: Record<string, string>;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Parsed JSON body, only for methods that carry one. */
  body: unknown;
  caller: Caller;
  /** The legacy API, bound to this caller's credentials and correlation id. */
  legacy: LegacyCaller;
  /** Aborted when the client goes away (or the shadow run is abandoned). */
  signal: AbortSignal;
  log: Logger;
}

export interface RouteResult {
  status?: number;
  headers?: Record<string, string>;
  body: unknown;
}

/** How a shadow comparison treats fields that may legitimately differ. */
export interface ShadowRules {
  /** Field paths never compared: `generatedAt`, `courses[*].updatedAt`, `meta.*`. */
  ignore?: string[];
  /** Array paths compared as multisets (order does not matter): `courses`, `courses[*].tags`. */
  unordered?: string[];
  /** `allow`: the migrated answer may be a superset of the legacy one. Default `report`. */
  extraFields?: 'allow' | 'report';
  /**
   * Share (0..1) of shadowed requests that fetch a second legacy answer to learn noise. Default:
   * every request until 20 calibrations in a row learn nothing new, then 5%, and every request
   * again as soon as one does (routing/shadow-noise.ts).
   */
  calibrationRate?: number;
}

/**
 * Idempotency records (routing/idempotency.ts) for a route whose method is not safe: a request
 * with an Idempotency-Key has its first answer kept per caller and key, and retries get it back.
 */
export interface IdempotencySettings {
  /** How long an answer is kept for retries, in seconds. Default 86400 (24 h). */
  ttlSeconds?: number;
  /** Refuse a request without an Idempotency-Key (400). Default false: the unchanged frontend sends none. */
  required?: boolean;
  /** Longest a running request holds its key, in seconds: a crashed instance's claim frees after this. Default 60. */
  leaseSeconds?: number;
}

/**
 * One migrated route: its declaration (read by the registry, the status page and
 * migration-status.md alike) and its handler.
 */
export interface MigratedRoute {
  id: string;
  method: HttpMethod;
  /**
   * Express-style path with `:params`, e.g. `/api/courses/:id`. Requests match it however
   * they spell it as the legacy API would read it (case per ROUTE_CASE, escapes, dot segments:
   * routing/normalise-path.ts), so no spelling gets past the route's flag.
   */
  path: string;
  /**
   * The legacy endpoint this route replaces, `METHOD /path` with the same `:params`.
   * While the flag says `legacy` (and in shadow), the request is forwarded there.
   */
  replaces?: string;
  /** The Unleash flag that governs the route. Its sibling `<flag>.shadow` turns shadow on. */
  flag: string;
  owner: string;
  /** ISO dates (YYYY-MM-DD). */
  targetDate: string;
  migratedDate?: string;
  notes?: string;
  shadow?: ShadowRules;
  /** Resilience and cache settings per upstream endpoint this route calls. */
  upstream?: EndpointPolicyOverrides;
  /**
   * The canary guard: while the flag serves some users from this route, when it does worse than
   * the legacy API (5xx, p95, shadow mismatches) everyone goes back to legacy until staff clear it.
   * Defaults in canary/guard-config.ts; `false` turns it off for this route.
   */
  guard?: GuardDeclaration | false;
  /** POST, PUT, PATCH and DELETE routes: how Idempotency-Key requests are recorded. */
  idempotency?: IdempotencySettings;
  handle(ctx: RouteContext): Promise<RouteResult>;
}

export function defineRoute(route: MigratedRoute): MigratedRoute {
  return route;
}
