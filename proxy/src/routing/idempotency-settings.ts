import type { HttpMethod, IdempotencySettings } from './route.ts';

export interface ResolvedIdempotency {
  ttlMs: number;
  leaseMs: number;
  required: boolean;
}

/** A day: long enough for a client's retries across a night's outage, short enough to stay small in Redis. */
const DEFAULT_TTL_SECONDS = 86_400;
/** Several times the legacy client's default 5 s call budget: a handler makes a few calls in turn. */
const DEFAULT_LEASE_SECONDS = 60;
const MAX_TTL_SECONDS = 30 * 86_400;
const MAX_LEASE_SECONDS = 3_600;

/** Methods whose requests change nothing: they never take idempotency records. */
export const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);

export function resolveIdempotency(settings: IdempotencySettings = {}): ResolvedIdempotency {
  return {
    ttlMs: (settings.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1_000,
    leaseMs: (settings.leaseSeconds ?? DEFAULT_LEASE_SECONDS) * 1_000,
    required: settings.required ?? false,
  };
}

/** Problems in a route's `idempotency` declaration, for the registry to refuse at start-up. */
export function validateIdempotency(method: HttpMethod, settings: IdempotencySettings | undefined): string[] {
  if (settings === undefined) return [];
  const problems: string[] = [];
  if (SAFE_METHODS.has(method)) problems.push(`idempotency applies to POST, PUT, PATCH and DELETE routes; a ${method} changes nothing to record`);
  const known = new Set(['ttlSeconds', 'required', 'leaseSeconds']);
  for (const name of Object.keys(settings)) if (!known.has(name)) problems.push(`idempotency: unknown setting "${name}" (ttlSeconds, required, leaseSeconds)`);
  const { ttlSeconds, leaseSeconds, required } = settings;
  if (ttlSeconds !== undefined && !(Number.isInteger(ttlSeconds) && ttlSeconds >= 1 && ttlSeconds <= MAX_TTL_SECONDS)) {
    problems.push(`idempotency.ttlSeconds must be a whole number of seconds from 1 to ${MAX_TTL_SECONDS} (30 days), got ${JSON.stringify(ttlSeconds)}`);
  }
  if (leaseSeconds !== undefined && !(Number.isInteger(leaseSeconds) && leaseSeconds >= 1 && leaseSeconds <= MAX_LEASE_SECONDS)) {
    problems.push(`idempotency.leaseSeconds must be a whole number of seconds from 1 to ${MAX_LEASE_SECONDS}, got ${JSON.stringify(leaseSeconds)}`);
  }
  if (required !== undefined && typeof required !== 'boolean') problems.push(`idempotency.required must be true or false, got ${JSON.stringify(required)}`);
  return problems;
}
