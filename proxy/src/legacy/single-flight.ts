export interface Flight {
  /** Fires only when every caller waiting on this flight has gone away. */
  signal: AbortSignal;
  /** True once `forget(key)` was called while this flight ran: its result is stale. */
  forgotten(): boolean;
}

export interface SingleFlight {
  /**
   * Runs `work` once per key at a time; callers arriving meanwhile share its result.
   * A caller whose `signal` fires stops waiting (rejects with the signal's reason)
   * without cancelling the work for the others.
   */
  run<T>(key: string, work: (flight: Flight) => Promise<T>, signal?: AbortSignal): Promise<T>;
  /** Later callers start afresh; the running flight learns it is stale. */
  forget(key: string): void;
}

interface Running {
  promise: Promise<unknown>;
  controller: AbortController;
  waiters: number;
  forgotten: boolean;
}

export function createSingleFlight(): SingleFlight {
  const running = new Map<string, Running>();

  function start(key: string, work: (flight: Flight) => Promise<unknown>): Running {
    const controller = new AbortController();
    const flight: Running = { promise: Promise.resolve(), controller, waiters: 0, forgotten: false };
    flight.promise = work({ signal: controller.signal, forgotten: () => flight.forgotten }).finally(() => {
      if (running.get(key) === flight) running.delete(key);
    });
    // Every waiter may have left; the outcome must not become an unhandled rejection.
    flight.promise.catch(() => undefined);
    running.set(key, flight);
    return flight;
  }

  return {
    run<T>(key: string, work: (flight: Flight) => Promise<T>, signal?: AbortSignal): Promise<T> {
      if (signal?.aborted) return Promise.reject(signal.reason);
      const flight = running.get(key) ?? start(key, work);
      flight.waiters++;
      if (!signal) return flight.promise as Promise<T>;
      return new Promise<T>((resolve, reject) => {
        const leave = () => {
          flight.waiters--;
          if (flight.waiters === 0) flight.controller.abort();
          reject(signal.reason);
        };
        signal.addEventListener('abort', leave, { once: true });
        flight.promise.then(
          (value) => {
            signal.removeEventListener('abort', leave);
            resolve(value as T);
          },
          (err: unknown) => {
            signal.removeEventListener('abort', leave);
            reject(err);
          },
        );
      });
    },
    forget(key: string): void {
      const flight = running.get(key);
      if (!flight) return;
      flight.forgotten = true;
      running.delete(key);
    },
  };
}
