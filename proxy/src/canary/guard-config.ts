import { z } from 'zod';

/**
 * A route file's `guard` block: when the new route counts as worse than the legacy API it
 * replaces, and is rolled back. Every field is optional (the defaults below); `false` for the
 * whole block, or for one criterion, turns it off.
 */
export interface GuardDeclaration {
  /** The sliding window both sides are compared over, in ms (default 5 minutes). */
  windowMs?: number;
  /** The new route's 5xx rate may exceed the legacy API's by at most `margin` (a fraction: 0.05 = 5 points). */
  errors?: { minSample?: number; margin?: number } | false;
  /** The new route's p95 latency may exceed the legacy API's by at most `marginMs`. */
  latency?: { minSample?: number; marginMs?: number } | false;
  /**
   * Of shadowed requests, the share that differ (or where the new route failed) may be at most
   * `margin`. Counted only while the route's shadow is on for the users outside the canary.
   */
  mismatches?: { minSample?: number; margin?: number } | false;
}

/** `minSample`: requests on each side (compared requests for mismatches) before a criterion judges. */
export interface GuardSettings {
  windowMs: number;
  errors: { minSample: number; margin: number } | null;
  latency: { minSample: number; marginMs: number } | null;
  mismatches: { minSample: number; margin: number } | null;
}

/**
 * Defaults: 50 requests a side over 5 minutes before anything is judged, so a handful of
 * unlucky requests cannot roll a route back; then 5 points more 5xx, 500 ms more p95 (a
 * route that composes several legacy calls is expected to be somewhat slower), or more than
 * 10% of shadow comparisons differing.
 */
export const GUARD_DEFAULTS: GuardSettings = Object.freeze({
  windowMs: 5 * 60_000,
  errors: Object.freeze({ minSample: 50, margin: 0.05 }),
  latency: Object.freeze({ minSample: 50, marginMs: 500 }),
  mismatches: Object.freeze({ minSample: 50, margin: 0.1 }),
});

const minSample = z.number().int('must be a whole number').min(1, 'must be at least 1').max(1_000_000);
const fraction = z.number().min(0, 'must be between 0 and 1').max(1, 'must be between 0 and 1');
// A criterion set to `false` is taken out before this check: a union would only say "Invalid input".
const schema = z.strictObject({
  windowMs: z.number().int('must be a whole number of ms').min(10_000, 'must be at least 10000 (10 s)').max(3_600_000, 'must be at most 3600000 (1 hour)').optional(),
  errors: z.strictObject({ minSample: minSample.optional(), margin: fraction.optional() }).optional(),
  latency: z.strictObject({ minSample: minSample.optional(), marginMs: z.number().min(0, 'must not be negative').optional() }).optional(),
  mismatches: z.strictObject({ minSample: minSample.optional(), margin: fraction.optional() }).optional(),
});
const CRITERIA = ['errors', 'latency', 'mismatches'] as const;

/** What is wrong with a declaration, one line per problem (empty: fine). */
export function validateGuard(declaration: unknown): string[] {
  if (declaration === undefined || declaration === false) return [];
  let given = declaration;
  if (declaration !== null && typeof declaration === 'object') {
    const copy: Record<string, unknown> = { ...declaration };
    for (const key of CRITERIA) if (copy[key] === false) delete copy[key];
    given = copy;
  }
  const parsed = schema.safeParse(given);
  if (parsed.success) return [];
  return parsed.error.issues.map((i) => `${i.path.join('.') || 'guard'}: ${i.message}`);
}

/** The settings a (valid) declaration stands for; null when the guard is off for the route. */
export function resolveGuard(declaration: GuardDeclaration | false | undefined): GuardSettings | null {
  if (declaration === false) return null;
  const d = declaration ?? {};
  const pick = <K extends 'errors' | 'latency' | 'mismatches'>(key: K): GuardSettings[K] => {
    const given = d[key];
    if (given === false) return null;
    return { ...GUARD_DEFAULTS[key], ...definedFields(given ?? {}) } as GuardSettings[K];
  };
  return { windowMs: d.windowMs ?? GUARD_DEFAULTS.windowMs, errors: pick('errors'), latency: pick('latency'), mismatches: pick('mismatches') };
}

function definedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
