import { STATUS_CODES, type ServerResponse } from 'node:http';

/**
 * The legacy API predates problem+json: every error it produces is `{error, message}`
 * with a snake_case code. Written against node:http so the raw dispatcher can use it too.
 */
export function sendLegacyError(
  res: ServerResponse,
  status: number,
  error: string,
  message: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error, message });
  res.statusCode = status;
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}

/** `503` -> `service_unavailable`: the code a status gets when nothing more specific applies. */
export function errorCodeForStatus(status: number): string {
  return (STATUS_CODES[status] ?? 'error')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_|_$/g, '');
}

/** Thrown by handlers; the app's error handler turns it into the legacy shape. */
export class LegacyError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'LegacyError';
  }
}

export const legacyErrors = {
  unauthorized: (message = 'A valid bearer token is required.') =>
    new LegacyError(401, 'unauthorized', message, { 'www-authenticate': 'Bearer' }),
  forbidden: (message = 'You may not access this resource.') => new LegacyError(403, 'forbidden', message),
  notFound: (message: string) => new LegacyError(404, 'not_found', message),
  badRequest: (message: string) => new LegacyError(400, 'bad_request', message),
};
