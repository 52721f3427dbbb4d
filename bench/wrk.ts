import { runToEnd } from './processes.ts';

/** Closed-loop throughput at fixed concurrency: wrk with one thread, on the load generator's core. */

export interface WrkOptions {
  url: string;
  connections: number;
  seconds: number;
  cpu: string;
  headers?: Record<string, string>;
  /** A wrk Lua script (e.g. one that rotates the Authorization header per request). */
  script?: string;
  /** Per-request timeout (wrk's default is 2 s, shorter than a degraded route's deadline). */
  timeoutSeconds?: number;
}

export interface WrkResult {
  requestsPerSec: number;
  /** Latency percentiles in ms. */
  p50: number;
  p99: number;
  requests: number;
  /** Answers outside 2xx/3xx, and connect/read/write/timeout errors: a row with either is not a clean figure. */
  non2xx3xx: number;
  socketErrors: number;
}

export async function runWrk(opts: WrkOptions): Promise<WrkResult> {
  const headerArgs = Object.entries(opts.headers ?? {}).flatMap(([k, v]) => ['-H', `${k}: ${v}`]);
  const extra = [...(opts.script ? ['-s', opts.script] : []), ...(opts.timeoutSeconds ? ['--timeout', `${opts.timeoutSeconds}s`] : [])];
  const out = await runToEnd(
    'wrk',
    ['-t1', `-c${opts.connections}`, `-d${opts.seconds}s`, '--latency', ...extra, ...headerArgs, opts.url],
    { cpu: opts.cpu, timeoutMs: (opts.seconds + (opts.timeoutSeconds ?? 2) + 15) * 1_000 },
  );
  return parseWrk(out);
}

export function parseWrk(out: string): WrkResult {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(out);
  const p50 = /^\s+50%\s+([\d.]+)(us|ms|s)\b/m.exec(out);
  const p99 = /^\s+99%\s+([\d.]+)(us|ms|s)\b/m.exec(out);
  const total = /^\s+(\d+) requests in/m.exec(out);
  if (!rps || !p50 || !p99 || !total) throw new Error(`could not read wrk's output:\n${out}`);
  const non2xx = /^\s+Non-2xx or 3xx responses:\s+(\d+)/m.exec(out);
  const socket = /^\s+Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/m.exec(out);
  return {
    requestsPerSec: Number(rps[1]),
    p50: toMs(p50[1]!, p50[2]!),
    p99: toMs(p99[1]!, p99[2]!),
    requests: Number(total[1]),
    non2xx3xx: non2xx ? Number(non2xx[1]) : 0,
    socketErrors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
  };
}

function toMs(value: string, unit: string): number {
  const n = Number(value);
  return unit === 'us' ? n / 1_000 : unit === 's' ? n * 1_000 : n;
}
