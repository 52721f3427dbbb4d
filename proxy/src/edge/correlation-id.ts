import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';

export const CORRELATION_HEADER = 'x-correlation-id';

// Accept ids that are safe to echo into headers and logs: no spaces, quotes or control
// characters, bounded length. Anything else is replaced, never reflected.
const WELL_FORMED = /^[A-Za-z0-9][A-Za-z0-9._:@/+=-]{0,127}$/;

/** Could this be an id the edge accepted or generated? (Anything else never was one.) */
export function isWellFormedCorrelationId(value: string): boolean {
  return WELL_FORMED.test(value);
}

/**
 * Takes the caller's X-Correlation-Id when well formed, else generates one; sets it on
 * the request (so the legacy API receives it) and echoes it on the response.
 */
export function assignCorrelationId(req: IncomingMessage, res: ServerResponse): string {
  const given = req.headers[CORRELATION_HEADER];
  const id = typeof given === 'string' && WELL_FORMED.test(given) ? given : randomUUID();
  if (id !== given) req.headers[CORRELATION_HEADER] = id;
  res.setHeader('X-Correlation-Id', id);
  return id;
}
