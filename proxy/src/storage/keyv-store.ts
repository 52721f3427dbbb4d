import { Keyv } from 'keyv';
import KeyvRedis, { createKeyv as createRedisKeyv, defaultReconnectStrategy } from '@keyv/redis';
import { boundStoreCalls, withDeadline } from './store-deadline.ts';

export interface KeyvStoreOptions {
  /** `redis://host:port`; absent means an in-process Map (one instance only, dev and tests). */
  redisUrl?: string;
  /** Keeps each concern's keys apart in a shared Redis (`sess::...`, `webauthn::...`). */
  namespace: string;
  /** Default time to live of every entry, in milliseconds. */
  ttlMs?: number;
  /**
   * Default true: a store failure rejects the call instead of looking like a missing key.
   * A session that vanishes because Redis hiccuped would sign users out silently; caches and
   * counters that may fail open pass false.
   */
  throwOnErrors?: boolean;
  /** How long a (re)connection to Redis may take before calls fail, in milliseconds. */
  connectTimeoutMs?: number;
  /**
   * The longest any one call may take (STORE_TIMEOUT_MS), connecting included; then it fails
   * with StoreUnavailableError (or fails open). Default 1000 ms.
   */
  timeoutMs?: number;
}

/**
 * The one storage factory: every piece of proxy state (sessions, WebAuthn challenges,
 * credentials, caches, counters) gets its Keyv here, so swapping memory for Redis is config.
 */
export function createKeyv<T = unknown>(opts: KeyvStoreOptions): Keyv<T> {
  const throwOnErrors = opts.throwOnErrors ?? true;
  if (!opts.redisUrl) {
    return new Keyv<T>({ namespace: opts.namespace, ttl: opts.ttlMs, throwOnErrors });
  }
  // @keyv/redis puts the namespace on the adapter and turns Keyv's own prefixing off, so keys
  // are `ns::key`. Setting it on Keyv as well (the usual trap) would give `ns::ns:key`.
  const connectTimeout = opts.connectTimeoutMs ?? 2_000;
  const client = {
    url: opts.redisUrl,
    // While Redis is away, commands fail at once instead of queueing until it is back: a
    // request waiting on a queued session read would hang for the whole outage.
    disableOfflineQueue: true,
    socket: { connectTimeout, reconnectStrategy: defaultReconnectStrategy },
  };
  const keyv = createRedisKeyv(client, {
    namespace: opts.namespace,
    throwOnErrors,
    throwOnConnectError: throwOnErrors,
    connectionTimeout: connectTimeout,
  }) as unknown as Keyv<T>;
  if (opts.ttlMs !== undefined) keyv.ttl = opts.ttlMs;
  boundStoreCalls(keyv.store as KeyvRedis<unknown>, opts.timeoutMs ?? 1_000);
  return keyv;
}

/** Closes the Redis connection behind a Keyv (a no-op for memory), within a second. */
export async function closeKeyv(keyv: Keyv<unknown>): Promise<void> {
  const store = keyv.store as unknown;
  if (!(store instanceof KeyvRedis) || !store.client.isOpen) return keyv.disconnect();
  // A clean close (QUIT) waits for every reply still owed, so a Redis that stopped answering
  // would hold shutdown up for ever. Replies come in order: a PING answered means none is owed.
  try {
    await withDeadline(store.client.ping(), 1_000, 'ping');
  } catch {
    return store.disconnect(true);
  }
  await keyv.disconnect();
}
