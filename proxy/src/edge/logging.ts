import type { IncomingMessage, ServerResponse } from 'node:http';
import { pino, type Logger, type DestinationStream } from 'pino';
import { pinoHttp, type HttpLogger } from 'pino-http';
import { redactUrl } from './redact.ts';
import { stateOf } from './request-state.ts';

/**
 * Paths pino must never print, wherever a header object ends up in a log call.
 * The request serializer below logs no headers at all; this is the second fence.
 */
const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["proxy-authorization"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["set-cookie"]',
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
    // Request lines are many and small: gathered into 4 kB writes instead of a write per line
    // (that write was about a tenth of a forwarded request's CPU). What is pending is written
    // every 250 ms, so a quiet proxy's lines still show up at once for a person reading them;
    // pino writes what is left when the process exits.
    destination ?? pino.destination({ sync: false, minLength: 4096, periodicFlush: 250 }),
  );
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

/**
 * One JSON line per request when the response finishes: route, status, duration, which
 * backend served it and the correlation id. No headers, and secret query values redacted.
 */
export function createRequestLogger(logger: Logger): HttpLogger {
  return pinoHttp({
    // The request line is built field by field from safe values (no headers, query redacted),
    // so it skips the redaction pass, whose wildcard paths cost a walk of every line.
    logger: logger.child({}, { redact: { paths: [] } }),
    genReqId: (req) => stateOf(req).correlationId,
    customAttributeKeys: { responseTime: 'durationMs' },
    // pino-http's default serializers copy every header; ours take the raw objects and keep only what is safe.
    wrapSerializers: false,
    serializers: {
      req: (req: IncomingMessage) => ({ method: req.method, url: redactUrl(req.url ?? '') }),
      res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info'),
    customSuccessMessage: (req, res) => `${req.method} ${stateOf(req).route} ${res.statusCode}`,
    customErrorMessage: (req, res) => `${req.method} ${stateOf(req).route} ${res.statusCode}`,
    customSuccessObject: (req, _res, val) => withServedBy(req, val),
    customErrorObject: (req, _res, _err, val) => withServedBy(req, val),
  });
}

function withServedBy(req: IncomingMessage, val: Record<string, unknown>): Record<string, unknown> {
  const state = stateOf(req);
  val.correlationId = state.correlationId;
  val.route = state.route;
  val.servedBy = state.servedBy;
  if (state.decision) val.decision = state.decision;
  return val;
}
