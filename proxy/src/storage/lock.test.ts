import { describe, expect, it } from 'vitest';
import { redisSuite } from '../../../test-support/shared-keyvs.ts';
import { createLocks, LockBusyError, type LockOptions } from './lock.ts';
import { StoreUnavailableError } from './store-unavailable.ts';

const suite = redisSuite();

function open(redisUrl: string | undefined, opts: LockOptions) {
  const shared = suite.shared(redisUrl, { namespace: 'locks', timeoutMs: 300 });
  return { a: createLocks(shared.a, opts), b: createLocks(shared.b, opts), keyv: shared.a, keyvB: shared.b };
}

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe.each([
  ['in memory', () => undefined],
  ['on one Redis', () => suite.redis.url],
])('locks %s', (_, url) => {
  it('let one holder at a time run, across two instances', async () => {
    const { a, b, keyv } = open(url(), { leaseMs: 5_000, waitMs: 5_000 });
    let inside = 0;
    let most = 0;
    const ran: number[] = [];
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).withLock('refresh:s1', async () => {
          most = Math.max(most, ++inside);
          await keyv.set('touched', i); // a store round trip inside the critical section
          ran.push(i);
          inside--;
        }),
      ),
    );
    expect(most).toBe(1);
    expect(ran.sort((x, y) => x - y)).toEqual(Array.from({ length: 12 }, (_, i) => i));
  });

  it('give up with LockBusyError after the wait, and are free again once the holder is done', async () => {
    const { a, b } = open(url(), { leaseMs: 5_000, waitMs: 100 });
    const held = gate();
    const entered = gate();
    const holder = a.withLock('k', () => (entered.open(), held.opened));
    await entered.opened; // A holds it (two connections: B's first try could otherwise win)
    await expect(b.withLock('k', async () => 'second')).rejects.toBeInstanceOf(LockBusyError);
    held.open();
    await holder;
    expect(await b.withLock('k', async () => 'second')).toBe('second');
  });

  it('pass to the next holder when a holder outlives its lease, and a late holder cannot free the next one’s lock', async () => {
    const { a, keyv, keyvB } = open(url(), { leaseMs: 150, waitMs: 5_000 });
    const b = createLocks(keyvB, { leaseMs: 30_000, waitMs: 5_000 }); // holds for as long as the test needs
    const stuck = gate();
    const lateIn = gate();
    const late = a.withLock('k', () => (lateIn.open(), stuck.opened)); // a holder that hangs (or crashed)
    await lateIn.opened;
    const next = gate();
    let nextRunning!: () => void;
    const nextStarted = new Promise<void>((resolve) => (nextRunning = resolve));
    const second = b.withLock('k', async () => {
      nextRunning();
      await next.opened;
    });
    await nextStarted; // got the lock once the first lease ran out
    stuck.open();
    await late; // releases with its own, stale token: must not free the second holder's lock
    const busy = createLocks(keyv, { leaseMs: 150, waitMs: 0 });
    await expect(busy.withLock('k', async () => undefined)).rejects.toBeInstanceOf(LockBusyError);
    next.open();
    await second;
  });
});

describe('locks on a Redis that stops answering', () => {
  it('fail with StoreUnavailableError, running nothing', async () => {
    const { a } = open(suite.redis.url, { leaseMs: 5_000, waitMs: 5_000 });
    suite.redis.pause();
    let ran = false;
    await expect(a.withLock('k', async () => (ran = true))).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(ran).toBe(false);
  });
});
