import { z } from 'zod';

/**
 * How the proxy treats one upstream endpoint of the legacy API (`users.profile`,
 * `courses.list`...). Numbers are milliseconds unless the name says otherwise.
 */
export interface EndpointPolicy {
  /** One try; the fetch is cancelled when it runs out. */
  attemptTimeoutMs: number;
  /** The whole call: bulkhead queue, every attempt and every backoff wait. */
  deadlineMs: number;
  /** Extra attempts after the first, for idempotent calls only. */
  retries: number;
  /** Exponential backoff: base * 2^(retry-1), capped at backoffMaxMs, then jittered. */
  backoffBaseMs: number;
  backoffMaxMs: number;
  breaker: {
    /** Failed attempts in a row that open the circuit. */
    consecutiveFailures: number;
    /** How long the circuit stays open before one probe is let through. */
    halfOpenAfterMs: number;
  };
  bulkhead: {
    maxConcurrent: number;
    /** Calls that may wait for a slot; beyond that they fail at once. */
    maxQueue: number;
  };
  /** TTL for cached answers of this endpoint (a call's own `cache.ttlMs` wins). */
  cacheTtlMs?: number;
}

/** What a route (or the client's options) may change: any field, nested ones one by one. */
export type EndpointPolicyOverride = Partial<Omit<EndpointPolicy, 'breaker' | 'bulkhead'>> & {
  breaker?: Partial<EndpointPolicy['breaker']>;
  bulkhead?: Partial<EndpointPolicy['bulkhead']>;
};

/** A route's `upstream` declaration: endpoint name -> what differs from the defaults. */
export type EndpointPolicyOverrides = Record<string, EndpointPolicyOverride>;

/**
 * Defaults from the resilience article's numbers: a 2 s attempt inside a 5 s budget,
 * two jittered retries from 100 ms, a breaker that opens after 5 failures in a row
 * for 15 s, and a bulkhead of 20 with a queue of 5.
 *
 * The breaker counts consecutive failures rather than sampling a failure ratio: each
 * endpoint sees little traffic behind a few migrated routes, and a ratio over a window
 * needs a minimum throughput to mean anything; "5 failed attempts in a row" is easy to
 * reason about on the status page and when reading logs.
 */
/** For a cached call when neither the call nor the policy names a TTL. */
export const DEFAULT_CACHE_TTL_MS = 60_000;

export const DEFAULT_ENDPOINT_POLICY: EndpointPolicy = Object.freeze({
  attemptTimeoutMs: 2_000,
  deadlineMs: 5_000,
  retries: 2,
  backoffBaseMs: 100,
  backoffMaxMs: 1_000,
  breaker: Object.freeze({ consecutiveFailures: 5, halfOpenAfterMs: 15_000 }),
  bulkhead: Object.freeze({ maxConcurrent: 20, maxQueue: 5 }),
  cacheTtlMs: DEFAULT_CACHE_TTL_MS,
});

const positiveMs = z.number().int().positive();
const policySchema = z
  .object({
    attemptTimeoutMs: positiveMs,
    deadlineMs: positiveMs,
    retries: z.number().int().min(0).max(10),
    backoffBaseMs: z.number().int().min(0),
    backoffMaxMs: z.number().int().min(0),
    breaker: z.object({
      consecutiveFailures: z.number().int().positive(),
      halfOpenAfterMs: positiveMs,
    }),
    bulkhead: z.object({
      maxConcurrent: z.number().int().positive(),
      maxQueue: z.number().int().min(0),
    }),
    cacheTtlMs: positiveMs.optional(),
  })
  .refine((p) => p.attemptTimeoutMs <= p.deadlineMs, {
    message: 'attemptTimeoutMs must not exceed deadlineMs',
  })
  .refine((p) => p.backoffBaseMs <= p.backoffMaxMs, {
    message: 'backoffBaseMs must not exceed backoffMaxMs',
  });

/**
 * Layers overrides over a base policy (later ones win, nested objects field by field)
 * and checks the result, so a bad route declaration fails with clear words, not later
 * as odd behaviour.
 */
export function resolvePolicy(
  base: EndpointPolicy,
  ...overrides: Array<EndpointPolicyOverride | undefined>
): EndpointPolicy {
  let merged: EndpointPolicy = { ...base, breaker: { ...base.breaker }, bulkhead: { ...base.bulkhead } };
  for (const o of overrides) {
    if (!o) continue;
    merged = {
      ...merged,
      ...definedFields(o),
      breaker: { ...merged.breaker, ...definedFields(o.breaker ?? {}) },
      bulkhead: { ...merged.bulkhead, ...definedFields(o.bulkhead ?? {}) },
    };
  }
  const checked = policySchema.safeParse(merged);
  if (!checked.success) {
    const why = checked.error.issues.map((i) => `${i.path.join('.') || 'policy'}: ${i.message}`).join('; ');
    throw new Error(`invalid legacy endpoint policy: ${why}`);
  }
  return merged;
}

/** `{ retries: undefined }` must not erase the default (exactOptionalPropertyTypes is off). */
function definedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
