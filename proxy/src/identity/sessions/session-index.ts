import type { Keyv } from 'keyv';

/** Keys in the sessions Keyv: one record per session, one list of session ids per user. */
export const sessionKey = (sid: string): string => `s:${sid}`;
const userKey = (userId: string): string => `u:${userId}`;

export interface SessionIndex {
  list(userId: string): Promise<string[]>;
  has(userId: string, sid: string): Promise<boolean>;
  add(userId: string, sid: string): Promise<void>;
  remove(userId: string, sids: readonly string[]): Promise<void>;
}

/**
 * userId -> session ids, kept in the same Keyv as the sessions so every proxy instance sees it.
 * Keyv has no atomic list operations, so each change is read-modify-write: serialised per user
 * within this process; across instances two changes for the same user in the same instant can
 * lose one. A session missing from its user's list is treated as revoked by the store (see
 * KeyvSessionStore's recheck), so a lost entry fails closed rather than escaping revocation.
 */
export function createSessionIndex(keyv: Keyv, ttlMs: number): SessionIndex {
  const tails = new Map<string, Promise<void>>();

  async function read(userId: string): Promise<string[]> {
    const sids = await keyv.get<string[]>(userKey(userId));
    return Array.isArray(sids) ? sids : [];
  }

  function update(userId: string, change: (sids: string[]) => Promise<string[]>): Promise<void> {
    const run = async (): Promise<void> => {
      const next = await change(await read(userId));
      if (next.length === 0) await keyv.delete(userKey(userId));
      // Every listed session ends within the absolute lifetime of the newest write.
      else await keyv.set(userKey(userId), next, ttlMs);
    };
    const previous = tails.get(userId) ?? Promise.resolve();
    const done = previous.then(run, run);
    const tail = done.catch(() => undefined);
    tails.set(userId, tail);
    void tail.then(() => {
      if (tails.get(userId) === tail) tails.delete(userId);
    });
    return done;
  }

  /** Drops ids whose session record is gone (expired, destroyed) so lists stay short. */
  async function live(sids: string[]): Promise<string[]> {
    if (sids.length === 0) return sids;
    const records = await keyv.getMany(sids.map(sessionKey));
    return sids.filter((_, i) => records[i] !== undefined && records[i] !== null);
  }

  return {
    list: read,
    async has(userId, sid) {
      return (await read(userId)).includes(sid);
    },
    add(userId, sid) {
      return update(userId, async (sids) => [...(await live(sids.filter((s) => s !== sid))), sid]);
    },
    remove(userId, gone) {
      return update(userId, async (sids) => live(sids.filter((s) => !gone.includes(s))));
    },
  };
}
