import { describe, expect, it } from 'vitest';
import { createSingleFlight } from './single-flight.ts';

function deferred<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('single flight', () => {
  it('runs the work once for concurrent callers of a key, and again once it is done', async () => {
    const flights = createSingleFlight();
    let runs = 0;
    const gate = deferred<string>();
    const work = () => (runs++, gate.promise);
    const both = Promise.all([flights.run('k', work), flights.run('k', work)]);
    gate.resolve('v');
    expect(await both).toEqual(['v', 'v']);
    await flights.run('k', async () => (runs++, 'again'));
    expect(runs).toBe(2);
  });

  it('shares a failure with every waiter, and does not keep it', async () => {
    const flights = createSingleFlight();
    const gate = deferred<string>();
    const a = flights.run('k', () => gate.promise);
    const b = flights.run('k', () => gate.promise);
    gate.reject(new Error('boom'));
    await expect(a).rejects.toThrow('boom');
    await expect(b).rejects.toThrow('boom');
    await expect(flights.run('k', async () => 'fresh')).resolves.toBe('fresh');
  });

  it('cancels the work only when the last waiter leaves', async () => {
    const flights = createSingleFlight();
    let workSignal: AbortSignal | undefined;
    const gate = deferred<string>();
    const one = new AbortController();
    const two = new AbortController();
    const a = flights.run('k', (f) => ((workSignal = f.signal), gate.promise), one.signal);
    const b = flights.run('k', () => gate.promise, two.signal);
    one.abort();
    await expect(a).rejects.toMatchObject({ name: 'AbortError' });
    expect(workSignal?.aborted).toBe(false);
    two.abort();
    await expect(b).rejects.toMatchObject({ name: 'AbortError' });
    expect(workSignal?.aborted).toBe(true);
  });

  it('tells a forgotten flight it is stale and starts afresh for later callers', async () => {
    const flights = createSingleFlight();
    const gate = deferred<string>();
    let stale: (() => boolean) | undefined;
    const old = flights.run('k', (f) => ((stale = f.forgotten), gate.promise));
    flights.forget('k');
    await expect(flights.run('k', async () => 'new')).resolves.toBe('new');
    gate.resolve('old');
    await expect(old).resolves.toBe('old');
    expect(stale?.()).toBe(true);
  });
});
