/**
 * An open-loop load of mixed operations for end-to-end suites: operation i is started at
 * start + i/rate whatever happened to the earlier ones (a slow answer never holds the next
 * request back, as real users do not wait for each other), cycling through `mix`. Each
 * operation checks its own answer and throws when it is not the proper one; every outcome is
 * recorded. Bounded: it stops by itself after `maxOps` or `maxMs`, or earlier at stop(), and
 * then waits for the operations in flight. (bench/open-loop measures one URL's latency with raw
 * sockets; this one checks answers of many kinds.)
 */

export interface LoadOp {
  kind: string;
  /**
   * Resolves with the outcome's name ('ok', or another defined answer such as 'store-unavailable');
   * throws when the answer is wrong. `id` is the operation's own (for a correlation id, to find it in logs).
   */
  run(signal: AbortSignal, id: string): Promise<string>;
}

export interface OpRecord {
  kind: string;
  id: string;
  /** ms since the load's start: when the operation was due, and when it ended. */
  dueMs: number;
  endMs: number;
  outcome: string;
  /** What was wrong (outcome 'failed'). */
  error?: string;
}

export interface LoadResult {
  rate: number;
  /** From the first operation due to the last one sent, in s. */
  seconds: number;
  records: OpRecord[];
  /** How late the generator itself started operations, p99 in ms (its own event loop's lag). */
  sendLagP99: number;
  /** p50/p99 of operation latency from due time to end, in ms. */
  p50: number;
  p99: number;
}

export interface OpenLoopMix {
  /** Operations ended so far. */
  ended(): number;
  /** Records so far (live; the same array the result holds). */
  readonly records: readonly OpRecord[];
  /** ms since the load's start, on the load's clock (to compare with records). */
  now(): number;
  /** Stops sending (if it has not stopped by itself); resolves once every operation in flight has ended. */
  stop(): Promise<LoadResult>;
}

export function startOpenLoopMix(opts: { rate: number; mix: LoadOp[]; maxOps: number; maxMs: number; opTimeoutMs: number; idPrefix: string }): OpenLoopMix {
  const start = performance.now();
  const now = () => performance.now() - start;
  const intervalMs = 1000 / opts.rate;
  const records: OpRecord[] = [];
  const lags: number[] = [];
  const inFlight = new Set<Promise<void>>();
  let next = 0;
  let lastDue = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;

  function launch(op: LoadOp, dueMs: number, id: string): void {
    const signal = AbortSignal.timeout(opts.opTimeoutMs);
    const work = op
      .run(signal, id)
      .then(
        (outcome) => void records.push({ kind: op.kind, id, dueMs, endMs: now(), outcome }),
        (err: unknown) => void records.push({ kind: op.kind, id, dueMs, endMs: now(), outcome: 'failed', error: describe(err) }),
      )
      .finally(() => inFlight.delete(work));
    inFlight.add(work);
  }

  function tick(): void {
    const t = now();
    while (!stopped && start + next * intervalMs <= performance.now()) {
      const dueMs = next * intervalMs;
      if (next >= opts.maxOps || dueMs >= opts.maxMs) {
        stopped = true;
        break;
      }
      lags.push(t - dueMs);
      launch(opts.mix[next % opts.mix.length]!, dueMs, `${opts.idPrefix}-${next}`);
      lastDue = dueMs;
      next++;
    }
    if (stopped) void settle();
    else timer = setTimeout(tick, Math.max(0, next * intervalMs - now()));
  }

  let settling: Promise<LoadResult> | undefined;
  function settle(): Promise<LoadResult> {
    stopped = true;
    clearTimeout(timer);
    settling ??= (async () => {
      while (inFlight.size > 0) await Promise.all([...inFlight]);
      const latencies = records.map((r) => r.endMs - r.dueMs).sort((a, b) => a - b);
      return {
        rate: opts.rate,
        seconds: lastDue / 1000,
        records,
        sendLagP99: percentile(lags.sort((a, b) => a - b), 99),
        p50: percentile(latencies, 50),
        p99: percentile(latencies, 99),
      };
    })();
    return settling;
  }

  tick();
  return { ended: () => records.length, records, now, stop: settle };
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

function describe(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  return cause ? `${err.message} (${[cause.code, cause.message].filter(Boolean).join(': ')})` : err.message;
}
