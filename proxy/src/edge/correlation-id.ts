import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { traceResponseOf } from '../tracing/propagation.ts';

export const CORRELATION_HEADER = 'x-correlation-id';

// Accept ids that are safe to echo into headers and logs: no spaces, quotes or control
// characters, bounded length. Anything else is replaced, never reflected.
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;

/** Could this be an id the edge accepted or generated? (Anything else never was one.) */
export function isWellFormedCorrelationId(value: string): boolean {
  return WELL_FORMED.test(value);
}

/**
 * Takes the caller's X-Correlation-Id when well formed, else generates one, and sets it on
 * the request, so the legacy API receives it. The response echoes it: `echoCorrelationId` on
 * the lanes that go through Express or the identity gate, and the catch-all's one writeHead
 * on plain pass-through (a header set earlier would take Node off its writeHead fast path).
 */
export function assignCorrelationId(req: IncomingMessage): string {
  const given = req.headers[CORRELATION_HEADER];
  const id = typeof given === 'string' && WELL_FORMED.test(given) ? given : randomUUID();
  if (id !== given) req.headers[CORRELATION_HEADER] = id;
  return id;
}

export function echoCorrelationId(res: ServerResponse, id: string): void {
  res.setHeader('X-Correlation-Id', id);
  // Tracing on: the trace id too, where the frontend can show it (W3C `traceresponse`).
  const traced = traceResponseOf(res.req);
  if (traced !== undefined) res.setHeader('traceresponse', traced);
}
