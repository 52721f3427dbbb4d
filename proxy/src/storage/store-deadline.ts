import type KeyvRedis from '@keyv/redis';
import { connectedClient } from './first-connection.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

/**
 * Rejects with StoreUnavailableError when `work` has not settled within `ms`. Why not the Redis
 * client's own command timeout: it only covers a command still waiting to be written. A Redis
 * that stops answering (stopped, swapping, a half-open connection) keeps its socket open, every
 * command is written, and the reply is awaited for ever.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreUnavailableError(`the store did not answer ${what} within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * `work` with a deadline, every way it can fail turned into one StoreUnavailableError: for
 * the calls Keyv makes and the atomic commands storage/ sends on the same client alike.
 */
export function storeCall<T>(work: () => Promise<T>, ms: number, what: string): Promise<T> {
  return withDeadline(Promise.resolve().then(work), ms, what).catch((err: unknown) => {
    if (err instanceof StoreUnavailableError) throw err;
    throw new StoreUnavailableError(`the store failed ${what}: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  });
}

type Call = (...args: unknown[]) => Promise<unknown>;

/** Each bounded adapter's deadline, so commands sent beside Keyv's keep to the same one. */
const deadlines = new WeakMap<KeyvRedis<unknown>, number>();

export function storeDeadlineOf(adapter: KeyvRedis<unknown>): number {
  return deadlines.get(adapter) ?? 1_000;
}

/** What each call gives when it fails and the store fails open (throwOnErrors false), as @keyv/redis itself does. */
const FAILED_OPEN: Record<string, (args: unknown[]) => unknown> = {
  get: () => undefined,
  getMany: ([keys]) => (keys as unknown[]).map(() => undefined),
  has: () => false,
  hasMany: ([keys]) => (keys as unknown[]).map(() => false),
  set: () => undefined,
  setMany: () => undefined,
  delete: () => false,
  deleteMany: () => false,
  clear: () => undefined,
};

/**
 * Gives every call Keyv makes on a Redis adapter a deadline, and turns every way it can fail
 * (offline, socket closed, connect timeout, an error reply, no answer) into one
 * StoreUnavailableError. A store that fails open (throwOnErrors false: counters, rate limits)
 * gets its usual "nothing there" instead, so a hung Redis delays it by `ms` at most.
 */
export function boundStoreCalls(adapter: KeyvRedis<unknown>, ms: number): void {
  deadlines.set(adapter, ms);
  const methods = adapter as unknown as Record<string, Call>;
  for (const [name, failedOpen] of Object.entries(FAILED_OPEN)) {
    const call = methods[name]!.bind(adapter);
    methods[name] = (...args) =>
      storeCall(
        async () => {
          await connectedClient(adapter);
          return call(...args);
        },
        ms,
        name,
      ).catch((err: unknown) => {
        if (!adapter.throwOnErrors) return failedOpen(args);
        throw err;
      });
  }
}
