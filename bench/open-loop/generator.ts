import net from 'node:net';
import { percentile } from '../percentile.ts';

/**
 * An open-loop load generator: request i is due at start + i/rate whatever happened to the
 * earlier ones, and its latency is counted from that SCHEDULED time. A server that stalls
 * therefore shows the stall in every request that was due meanwhile (no coordinated omission),
 * unlike a closed loop (wrk) or autocannon's --overallRate, which sends each second's quota in a burst.
 *
 * Plain sockets and a minimal HTTP/1.1 reader keep the generator's own cost per request small
 * and steady; one request per connection at a time (no pipelining), connections opened on
 * demand up to `maxConnections`, then requests wait in line (their wait counts as latency).
 */

export interface OpenLoopOptions {
  url: string;
  /** Requests per second. */
  rate: number;
  seconds: number;
  /** Sent at the same rate before measuring, to open connections and warm the path; not recorded. */
  warmupSeconds?: number;
  maxConnections?: number;
  headers?: Record<string, string>;
  /** How long to wait for the last answers after the last send. */
  drainMs?: number;
}

export interface OpenLoopResult {
  rate: number;
  seconds: number;
  /** Requests due in the measured window. */
  scheduled: number;
  completed: number;
  non2xx: number;
  errors: number;
  /** Still unanswered when the drain time ran out. */
  unfinished: number;
  connections: number;
  /** Latency from scheduled send time to the last byte of the answer, in ms. */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** How late the generator itself was in sending (timer granularity, its own GC), p99 in ms. */
  sendLagP99: number;
}

interface Pending {
  due: number;
  measured: boolean;
}

interface Connection {
  socket: net.Socket;
  current: Pending | null;
  chunks: Buffer[];
  bytes: number;
}

export function runOpenLoop(opts: OpenLoopOptions): Promise<OpenLoopResult> {
  const url = new URL(opts.url);
  const port = Number(url.port || 80);
  const extra = Object.entries(opts.headers ?? {}).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  const request = Buffer.from(`GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\n${extra}\r\n`);
  const maxConnections = opts.maxConnections ?? 256;
  const intervalMs = 1000 / opts.rate;
  const warmupCount = Math.round(opts.rate * (opts.warmupSeconds ?? 0));
  const measuredCount = Math.round(opts.rate * opts.seconds);
  const total = warmupCount + measuredCount;

  const latencies = new Float64Array(measuredCount);
  const sendLags = new Float64Array(measuredCount);
  let completed = 0;
  let non2xx = 0;
  let errors = 0;
  let settled = 0;
  const idle: Connection[] = [];
  const all = new Set<Connection>();
  const waiting: Pending[] = [];
  let connections = 0;
  let opened = 0;

  return new Promise((resolve) => {
    const start = performance.now() + 20;
    let next = 0;
    let finishTimer: NodeJS.Timeout | undefined;

    function tick(): void {
      const now = performance.now();
      while (next < total && start + next * intervalMs <= now) {
        const due = start + next * intervalMs;
        const measured = next >= warmupCount;
        if (measured) sendLags[next - warmupCount] = now - due;
        dispatch({ due, measured });
        next++;
      }
      if (next < total) setTimeout(tick, Math.max(0, start + next * intervalMs - performance.now()));
      else finishTimer = setTimeout(finish, opts.drainMs ?? 2_000);
    }

    function dispatch(p: Pending): void {
      const conn = idle.pop();
      if (conn) send(conn, p);
      else if (connections < maxConnections) open(p);
      else waiting.push(p);
    }

    function open(first: Pending): void {
      connections++;
      opened++;
      const socket = net.connect(port, url.hostname);
      socket.setNoDelay(true);
      const conn: Connection = { socket, current: null, chunks: [], bytes: 0 };
      all.add(conn);
      socket.once('connect', () => send(conn, first));
      socket.on('data', (chunk: Buffer) => onData(conn, chunk));
      socket.on('error', () => {});
      socket.once('close', () => {
        all.delete(conn);
        connections--;
        const i = idle.indexOf(conn);
        if (i >= 0) idle.splice(i, 1);
        if (conn.current) {
          // Connection-delimited bodies end at close; anything else was cut short.
          if (conn.bytes > 0 && answerEndsAtClose(Buffer.concat(conn.chunks))) done(conn, Buffer.concat(conn.chunks));
          else fail(conn);
        }
        if (conn.current === null && waiting.length > 0 && connections < maxConnections) open(waiting.shift()!);
      });
    }

    function send(conn: Connection, p: Pending): void {
      conn.current = p;
      conn.chunks = [];
      conn.bytes = 0;
      conn.socket.write(request);
    }

    function onData(conn: Connection, chunk: Buffer): void {
      if (!conn.current) return;
      conn.chunks.push(chunk);
      conn.bytes += chunk.length;
      const data = conn.chunks.length === 1 ? chunk : Buffer.concat(conn.chunks);
      const state = answerState(data);
      if (state === 'complete') done(conn, data);
    }

    function done(conn: Connection, data: Buffer): void {
      const p = conn.current!;
      conn.current = null;
      const status = Number(data.subarray(9, 12).toString('latin1'));
      if (p.measured) {
        latencies[completed++] = performance.now() - p.due;
        if (status < 200 || status > 299) non2xx++;
      }
      settle();
      if (conn.socket.destroyed || /\r\nconnection: *close\r\n/i.test(headerText(data))) {
        conn.socket.destroy();
        return;
      }
      const queued = waiting.shift();
      if (queued) send(conn, queued);
      else idle.push(conn);
    }

    function fail(conn: Connection): void {
      const p = conn.current!;
      conn.current = null;
      if (p.measured) errors++;
      settle();
    }

    function settle(): void {
      settled++;
      if (settled === total && next === total) {
        clearTimeout(finishTimer);
        finish();
      }
    }

    let finished = false;
    function finish(): void {
      if (finished) return;
      finished = true;
      // Whatever is still in flight is abandoned (and counted as unfinished).
      for (const conn of all) conn.socket.destroy();
      const measured = latencies.subarray(0, completed).sort();
      const lags = sendLags.sort();
      resolve({
        rate: opts.rate,
        seconds: opts.seconds,
        scheduled: measuredCount,
        completed,
        non2xx,
        errors,
        unfinished: measuredCount - completed - errors,
        connections: opened,
        p50: percentile(measured, 50),
        p90: percentile(measured, 90),
        p99: percentile(measured, 99),
        max: measured.length ? measured[measured.length - 1]! : NaN,
        sendLagP99: percentile(lags, 99),
      });
    }

    setTimeout(tick, 20);
  });
}

function headerText(data: Buffer): string {
  const end = data.indexOf('\r\n\r\n');
  return data.subarray(0, end < 0 ? data.length : end + 2).toString('latin1');
}

/** Whether `data` holds one whole HTTP/1.1 answer (content-length or chunked framing). */
export function answerState(data: Buffer): 'complete' | 'partial' | 'until-close' {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return 'partial';
  const head = data.subarray(0, end + 2).toString('latin1');
  const status = Number(head.slice(9, 12));
  if (status === 204 || status === 304) return 'complete';
  const length = /\r\ncontent-length: *(\d+)\r\n/i.exec(head);
  if (length) return data.length >= end + 4 + Number(length[1]) ? 'complete' : 'partial';
  if (/\r\ntransfer-encoding:[^\r]*chunked/i.test(head)) {
    // Good enough for the small bodies measured here: the last chunk and no trailers.
    return data.length >= end + 4 + 5 && data.subarray(data.length - 5).toString('latin1') === '0\r\n\r\n' ? 'complete' : 'partial';
  }
  return 'until-close';
}

function answerEndsAtClose(data: Buffer): boolean {
  return answerState(data) === 'until-close';
}
