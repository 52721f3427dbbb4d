import type { Caller } from '../../routing/route.ts';

/**
 * Where the caller's facts sit in a legacy token's claims (or in a who-am-I answer), as
 * dotted paths: `sub`, `id`, `user.id`, `realm_access.roles`. A segment is a property name;
 * no indexes, no escapes: the paths legacy APIs use are plain.
 */
export interface ClaimPaths {
  userId: string;
  roles: string;
  username: string;
}

export const DEFAULT_CLAIM_PATHS: ClaimPaths = { userId: 'sub', roles: 'role', username: 'name' };

export const CLAIM_PATH = /^[A-Za-z0-9_$:-]+(\.[A-Za-z0-9_$:-]+)*$/;

const UNSAFE = new Set(['__proto__', 'prototype', 'constructor']);

export function readPath(source: unknown, path: string): unknown {
  let at: unknown = source;
  for (const segment of path.split('.')) {
    if (at === null || typeof at !== 'object' || Array.isArray(at) || !Object.hasOwn(at, segment)) return undefined;
    at = (at as Record<string, unknown>)[segment];
  }
  return at;
}

/** Sets a value at a dotted path, making the objects on the way (`user.id` -> { user: { id } }). */
export function writePath(target: Record<string, unknown>, path: string, value: unknown): void {
  const segments = path.split('.');
  if (segments.some((s) => UNSAFE.has(s))) throw new Error(`"${path}" is not a claim path`);
  let at = target;
  for (const segment of segments.slice(0, -1)) {
    const next = at[segment];
    at = next !== null && typeof next === 'object' && !Array.isArray(next) ? (next as Record<string, unknown>) : (at[segment] = {});
  }
  at[segments.at(-1)!] = value;
}

/**
 * The caller these claims describe, or undefined when the user id is missing. A user id may
 * be a number (`"id": 42`): legacy APIs count their users; the proxy keeps ids as strings.
 * Roles may be one string or a list.
 */
export function callerFromClaims(claims: unknown, paths: ClaimPaths, via: Caller['via']): Caller | undefined {
  const rawId = readPath(claims, paths.userId);
  const userId = typeof rawId === 'string' ? rawId : typeof rawId === 'number' && Number.isSafeInteger(rawId) ? String(rawId) : '';
  if (userId === '') return undefined;
  const role = readPath(claims, paths.roles);
  const roles = typeof role === 'string' ? [role] : Array.isArray(role) ? role.filter((r): r is string => typeof r === 'string') : [];
  const name = readPath(claims, paths.username);
  // Shared by every request that presents the same token: frozen, so no consumer can alter it for the others.
  return Object.freeze({
    userId,
    ...(typeof name === 'string' ? { username: name } : {}),
    roles: Object.freeze(roles) as string[],
    via,
  });
}
