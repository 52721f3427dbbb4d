import type { Context, Unleash } from 'unleash-client';
import type { FlagContext, Side } from './types.ts';

/** The sibling flag that turns shadow comparison on for users outside the migrated share. */
export const SHADOW_SUFFIX = '.shadow';

/**
 * Runs per migrated-route request, so it stays two in-memory look-ups. `client` is null
 * until definitions are in force (no file flags, or Unleash never answered): legacy.
 */
export function decideSide(client: Unleash | null, flag: string, ctx: FlagContext): Side {
  // Without a stable key, stickiness 'default' falls back to a random roll per request;
  // the legacy API is the only answer that stays the same.
  if (client === null || !(ctx.userId || ctx.sessionId)) return 'legacy';
  // Only the two keys: Unleash evaluates nothing else the caller's object might carry.
  const context: Context = { userId: ctx.userId, sessionId: ctx.sessionId };
  if (client.isEnabled(flag, context)) return 'migrated';
  if (client.isEnabled(flag + SHADOW_SUFFIX, context)) return 'shadow';
  return 'legacy';
}

/** What decideSide's two evaluations count for a caller who stays on legacy (Flags.countLegacy). */
export function countLegacy(client: Unleash | null, flag: string): void {
  if (client === null) return; // decideSide evaluates nothing then, so counts nothing
  client.count(flag, false);
  client.count(flag + SHADOW_SUFFIX, false);
}
