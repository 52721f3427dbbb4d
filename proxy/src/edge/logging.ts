import { pino, type Logger, type DestinationStream } from 'pino';
import { redactUrl } from './redact.ts';
import type { FinishedListener } from './finished.ts';

/**
 * Paths pino must never print, wherever a header object ends up in a log call.
 * The request serializer below logs no headers at all; this is the second fence.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["proxy-authorization"]',
  'headers["x-api-key"]',
  'headers["set-cookie"]',
  '*.authorization',
  '*.cookie',
  '*.jwt',
  '*.apiKey',
  '*.secret',
  '*.token',
  '*.accessToken',
  '*.refreshToken',
  '*.idToken',
  '*.code',
  '*.challenge',
  '*.password',
];

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'strangler-proxy' },
      redact: { paths: REDACT, censor: '[REDACTED]' },
      timestamp: isoTimeOncePerMs,
    },
    destination ?? gatheredLines(pino.destination({ sync: true })),
  );
}

/**
 * Log lines are gathered for up to 10 ms (or 64 kB) and go out in one write. Under load a
 * write(2) per line was a visible share of a forwarded request's CPU; 10 ms is nothing to a
 * person reading the log. Underneath, sonic-boom writes synchronously (pino's own default for
 * stdout), and what is gathered is written at exit too. (sonic-boom's asynchronous mode costs
 * more: it measures its whole pending buffer on every line and hands each write to the libuv
 * thread pool.)
 */
function gatheredLines(dest: DestinationStream): DestinationStream & { flush(cb?: () => void): void } {
  let pending = '';
  let scheduled = false;
  let exiting = false;
  const flush = () => {
    scheduled = false;
    if (pending === '') return;
    const out = pending;
    pending = '';
    dest.write(out);
  };
  // At exit, what is gathered goes out, and so does every line written after (the request
  // lines still waiting in the finished hook's batch, whatever order the exit listeners run in).
  process.once('exit', () => {
    exiting = true;
    flush();
  });
  return {
    write(line: string) {
      pending += line;
      if (exiting || pending.length > 65_536) flush();
      else if (!scheduled) {
        scheduled = true;
        setTimeout(flush, 10).unref();
      }
    },
    flush(cb) {
      flush();
      cb?.();
    },
  };
}

/**
 * One JSON line per request when its response closes: method, url (secret query values
 * redacted), status, duration, route, which backend served it, the flags' decision and the
 * correlation id. Never headers. Fed by the edge's finished hook, in batches, rather than by
 * pino-http, whose per-request child logger and three listeners cost a tenth of a forwarded
 * request (docs/performance.md).
 */
export function createRequestLogger(logger: Logger): FinishedListener {
  // Built field by field from safe values, so the line skips the redaction pass, whose
  // wildcard paths cost a walk of every line.
  const log = logger.child({}, { redact: { paths: [] } });
  return (done) => {
    const level = done.status >= 500 ? 'error' : done.status >= 400 ? 'warn' : 'info';
    if (!log.isLevelEnabled(level)) return;
    log[level](
      {
        req: { method: done.method, url: redactUrl(done.url) },
        res: { statusCode: done.status },
        durationMs: Math.round(done.seconds * 10_000) / 10,
        correlationId: done.correlationId,
        route: done.route,
        servedBy: done.servedBy,
        refusal: done.refusal,
        decision: done.decision,
        // Tracing on: the line leads to the trace (and the trace back to the line).
        traceId: done.trace?.traceId,
        spanId: done.trace?.spanId,
      },
      `${done.method} ${done.route} ${done.status}`,
    );
  };
}

// pino's isoTime formats a Date per line; at thousands of lines a second most share their millisecond.
let stampedMs = 0;
let stamp = '';
function isoTimeOncePerMs(): string {
  const now = Date.now();
  if (now !== stampedMs) {
    stampedMs = now;
    stamp = `,"time":"${new Date(now).toISOString()}"`;
  }
  return stamp;
}
