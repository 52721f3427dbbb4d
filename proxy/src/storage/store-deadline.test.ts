import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { Keyv } from 'keyv';
import { startRedis, type RedisHandle } from '../../../test-support/redis-server.ts';
import { until } from '../../../test-support/until.ts';
import { closeKeyv, createKeyv } from './keyv-store.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

let redis: RedisHandle;
const opened: Keyv[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(() => redis.resume()); // a failed test must not leave it stopped for the next
afterAll(async () => {
  await Promise.allSettled(opened.map((k) => closeKeyv(k)));
  await redis?.stop();
});

function open(opts: { throwOnErrors?: boolean } = {}): Keyv {
  const keyv = createKeyv({ redisUrl: redis.url, namespace: 'deadline', timeoutMs: 200, ...opts }) as Keyv;
  opened.push(keyv);
  return keyv;
}

describe('a Redis that stops answering (SIGSTOP)', () => {
  it('fails each call with StoreUnavailableError instead of waiting, and answers again once it resumes', async () => {
    const keyv = open();
    await keyv.set('k', 'v');
    redis.pause();
    await expect(keyv.get('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(keyv.set('k', 'w')).rejects.toThrow(/did not answer set within 200 ms/);
    await expect(keyv.getMany(['k', 'other'])).rejects.toBeInstanceOf(StoreUnavailableError);
    await expect(keyv.delete('k')).rejects.toBeInstanceOf(StoreUnavailableError);
    redis.resume();
    await keyv.set('k', 'again');
    expect(await keyv.get('k')).toBe('again');
  });

  it('gives a store that fails open (counters) nothing to read, in bounded time', async () => {
    const counters = open({ throwOnErrors: false });
    await counters.set('hits', 3);
    redis.pause();
    expect(await counters.get('hits')).toBeUndefined();
    expect(await counters.getMany(['hits'])).toEqual([undefined]);
    redis.resume();
    expect(await counters.get('hits')).toBe(3);
  });

  it('closes without waiting for the replies it is owed', async () => {
    const keyv = createKeyv({ redisUrl: redis.url, namespace: 'closing', timeoutMs: 200 });
    await keyv.set('k', 'v');
    redis.pause();
    await expect(keyv.get('k')).rejects.toBeInstanceOf(StoreUnavailableError); // a reply now owed
    await closeKeyv(keyv); // would hang until SIGCONT if it waited for that reply
    redis.resume();
  });
});

describe('a Redis that is killed and started again on the same port', () => {
  it('fails calls with StoreUnavailableError, never the driver’s own error, and the same Keyv works again after the restart', async () => {
    const keyv = open();
    await keyv.set('k', 'before');
    await redis.kill();
    for (let i = 0; i < 3; i++) {
      const failure = await keyv.get('k').then(() => undefined, (err: unknown) => err);
      expect(failure).toBeInstanceOf(StoreUnavailableError);
      expect((failure as Error).message).toMatch(/^the store (failed|did not answer) get/);
    }
    redis = await startRedis({ port: redis.port });
    // The client reconnects on its own back-off (at most about 2 s between attempts).
    await until(() => keyv.set('k', 'after').then(() => true, () => false), 10_000);
    expect(await keyv.get('k')).toBe('after');
  });
});
