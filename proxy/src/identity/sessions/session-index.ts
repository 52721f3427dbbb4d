import type { Keyv } from 'keyv';
import { createSetStore } from '../../storage/set-store.ts';

/** Keys in the sessions Keyv: one record per session, one set of session ids per user. */
export const sessionKey = (sid: string): string => `s:${sid}`;
const indexKey = (userId: string): string => `sids:${userId}`;
/** Where earlier versions kept the index, as one whole list value; adopted on first sight. */
const legacyKey = (userId: string): string => `u:${userId}`;

export interface SessionIndex {
  list(userId: string): Promise<string[]>;
  has(userId: string, sid: string): Promise<boolean>;
  add(userId: string, sid: string): Promise<void>;
  remove(userId: string, sids: readonly string[]): Promise<void>;
}

/**
 * userId -> session ids, a set beside the sessions (a Redis set when sessions are in Redis), so
 * every instance sees it and two sign-ins on two instances at once both stay listed. Revocation
 * deletes the session records and takes them off the set; a session the set does not name is
 * treated as revoked (see KeyvSessionStore's recheck), so a write that resurrects a revoked
 * record in flight still ends at the next recheck.
 */
export function createSessionIndex(keyv: Keyv, ttlMs: number): SessionIndex {
  const sets = createSetStore(keyv);

  /**
   * Moves a list an earlier version wrote into the set, so sessions made before an upgrade stay
   * signed in, then drops it so revocation has one place to look. Resolves with what it moved.
   */
  async function adopt(userId: string): Promise<string[]> {
    const old = await keyv.get<string[]>(legacyKey(userId));
    if (!Array.isArray(old) || old.length === 0) return [];
    await sets.add(indexKey(userId), old, ttlMs);
    await keyv.delete(legacyKey(userId));
    return old;
  }

  /** Drops ids whose session record is gone (expired, destroyed) so sets stay short. */
  async function prune(userId: string): Promise<void> {
    const sids = await sets.members(indexKey(userId));
    const records = await keyv.getMany(sids.map(sessionKey));
    const gone = sids.filter((_, i) => records[i] === undefined || records[i] === null);
    // Only ids whose record is gone: a session is stored before it is indexed, so none is new.
    await sets.remove(indexKey(userId), gone);
  }

  return {
    async list(userId) {
      await adopt(userId);
      return sets.members(indexKey(userId));
    },
    async has(userId, sid) {
      if (await sets.has(indexKey(userId), sid)) return true;
      return (await adopt(userId)).includes(sid);
    },
    async add(userId, sid) {
      // Every listed session ends within the absolute lifetime of the newest sign-in.
      await sets.add(indexKey(userId), [sid], ttlMs);
      await prune(userId);
    },
    remove: (userId, sids) => sets.remove(indexKey(userId), sids),
  };
}
