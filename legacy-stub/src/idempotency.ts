import { createHash } from 'node:crypto';

/** A response as the enrolment endpoint first answered it, kept for replays. */
export interface StoredResponse {
  fingerprint: string;
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

const MAX_KEYS = 10_000;

/**
 * Idempotency keys are scoped per user: two users may pick the same key. The
 * oldest keys are forgotten first once the store is full (a dev stub, not a bank).
 */
export function createIdempotencyStore() {
  const stored = new Map<string, StoredResponse>();
  const slot = (userId: string, key: string) => `${userId}\u0000${key}`;
  return {
    get: (userId: string, key: string) => stored.get(slot(userId, key)),
    set(userId: string, key: string, response: StoredResponse) {
      stored.set(slot(userId, key), response);
      if (stored.size > MAX_KEYS) stored.delete(stored.keys().next().value!);
    },
  };
}

/** Same JSON value, same fingerprint, whatever the key order or whitespace. */
export function fingerprintOf(value: unknown): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}
