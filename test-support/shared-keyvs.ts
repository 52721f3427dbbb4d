import type { Keyv } from 'keyv';
import { closeKeyv, createKeyv, type KeyvStoreOptions } from '../proxy/src/storage/keyv-store.ts';

export interface SharedKeyvs {
  /** Instance A's and B's Keyv for the same namespace. */
  a: Keyv;
  b: Keyv;
  close(): Promise<void>;
}

/**
 * Two proxy instances' views of one store: two Keyvs, each with its own connection, on one
 * Redis; or, without a Redis URL, one in-memory Keyv for both (in memory there is only ever
 * one process).
 */
export function sharedKeyvs(redisUrl: string | undefined, opts: Omit<KeyvStoreOptions, 'redisUrl'>): SharedKeyvs {
  const a = createKeyv({ ...opts, redisUrl }) as Keyv;
  const b = redisUrl ? (createKeyv({ ...opts, redisUrl }) as Keyv) : a;
  return {
    a,
    b,
    close: async () => {
      await Promise.all([...new Set([a, b])].map((k) => closeKeyv(k)));
    },
  };
}
