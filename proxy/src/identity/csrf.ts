import type { IncomingMessage } from 'node:http';

export type CsrfVerdict = { ok: true } | { ok: false; reason: string };

// Anything else (including methods nobody expected) is treated as state-changing: fail closed.
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * CSRF check for cookie-authenticated requests, without a token the unchanged frontend would
 * have to send: browsers say where a request comes from (`Origin`, `Sec-Fetch-Site`) and a
 * page on another site cannot forge either. `allowedOrigins` are serialized origins
 * (`https://app.example`, no path, no trailing slash), compared exactly.
 */
export function checkCsrf(req: IncomingMessage, allowedOrigins: readonly string[]): CsrfVerdict {
  if (SAFE_METHODS.has(req.method ?? 'GET')) return { ok: true };
  const origin = req.headers.origin;
  if (origin !== undefined) {
    return allowedOrigins.includes(origin)
      ? { ok: true }
      : { ok: false, reason: `origin ${JSON.stringify(origin)} is not allowed` };
  }
  const site = req.headers['sec-fetch-site'];
  if (site === 'same-origin' || site === 'none') return { ok: true };
  if (site !== undefined) return { ok: false, reason: `cross-origin request (Sec-Fetch-Site: ${site}) without an allowed Origin` };
  return { ok: false, reason: 'neither Origin nor Sec-Fetch-Site says where the request comes from' };
}

/**
 * For a cookie-authenticated WebSocket handshake. Browsers always send Origin with one, and a
 * page on another site cannot forge it: a foreign Origin is refused. A client that sends none
 * is no browser, so no page can be driving it with the user's cookie.
 */
export function checkWebSocketOrigin(req: IncomingMessage, allowedOrigins: readonly string[]): CsrfVerdict {
  const origin = req.headers.origin;
  if (origin === undefined || allowedOrigins.includes(origin)) return { ok: true };
  return { ok: false, reason: `WebSocket from origin ${JSON.stringify(origin)}, which is not allowed` };
}
