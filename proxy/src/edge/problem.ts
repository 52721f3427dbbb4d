import type { ServerResponse } from 'node:http';

/**
 * RFC 9457 problem details. Every error the proxy itself produces goes through here,
 * so each body carries the correlation id and none carries a stack trace.
 */
export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  constructor(
    readonly problem: Problem,
    readonly headers: Record<string, string> = {},
  ) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

export const problems = {
  badGateway: (detail = 'The legacy API could not be reached.'): Problem => ({
    type: 'urn:strangler-proxy:legacy-unreachable',
    title: 'Bad Gateway',
    status: 502,
    detail,
  }),
  gatewayTimeout: (detail = 'The legacy API did not answer in time.'): Problem => ({
    type: 'urn:strangler-proxy:legacy-timeout',
    title: 'Gateway Timeout',
    status: 504,
    detail,
  }),
  unauthorized: (detail = 'Sign in to use this endpoint.'): Problem => ({
    type: 'urn:strangler-proxy:unauthenticated',
    title: 'Unauthorized',
    status: 401,
    detail,
  }),
  forbidden: (detail = 'You are not allowed to do this.'): Problem => ({
    type: 'urn:strangler-proxy:forbidden',
    title: 'Forbidden',
    status: 403,
    detail,
  }),
  notFound: (detail = 'There is nothing here.'): Problem => ({
    type: 'urn:strangler-proxy:not-found',
    title: 'Not Found',
    status: 404,
    detail,
  }),
  badRequest: (detail: string): Problem => ({
    type: 'urn:strangler-proxy:bad-request',
    title: 'Bad Request',
    status: 400,
    detail,
  }),
  /** A request head the boundary will not forward (edge/request-head.ts). */
  refusedHead: (status: 400 | 431 | 501, detail: string): Problem => ({
    type: status === 400 ? 'urn:strangler-proxy:bad-request' : status === 431 ? 'urn:strangler-proxy:too-many-fields' : 'urn:strangler-proxy:not-implemented',
    title: status === 400 ? 'Bad Request' : status === 431 ? 'Request Header Fields Too Large' : 'Not Implemented',
    status,
    detail,
  }),
  /** A request body that stopped arriving or came too slowly (edge/body-pace.ts). */
  requestTimeout: (detail: string): Problem => ({
    type: 'urn:strangler-proxy:request-timeout',
    title: 'Request Timeout',
    status: 408,
    detail,
  }),
  /** A client over its share of the legacy connection pool (legacy/client-share.ts). */
  tooManyRequests: (detail: string): Problem => ({
    type: 'urn:strangler-proxy:too-many-requests',
    title: 'Too Many Requests',
    status: 429,
    detail,
  }),
  serviceUnavailable: (detail: string): Problem => ({
    type: 'urn:strangler-proxy:unavailable',
    title: 'Service Unavailable',
    status: 503,
    detail,
  }),
  /** The proxy's store (Redis) failed or did not answer in time; send it with STORE_RETRY_AFTER. */
  storeUnavailable: (): Problem => ({
    type: 'urn:strangler-proxy:store-unavailable',
    title: 'Service Unavailable',
    status: 503,
    detail: 'Sign-in state is unavailable right now. Try again in a few seconds.',
  }),
  internal: (): Problem => ({
    type: 'urn:strangler-proxy:internal',
    title: 'Internal Server Error',
    status: 500,
    detail: 'Something went wrong in the proxy. Quote the correlation id when you report it.',
  }),
};

/**
 * The header that goes with problems.storeUnavailable(): long enough for the Redis client to
 * reconnect (its back-off tops out at 2 s), short enough that a person retrying is not kept waiting.
 */
export const STORE_RETRY_AFTER: Readonly<Record<string, string>> = Object.freeze({ 'Retry-After': '5' });

/**
 * Writes a problem+json answer, its correlation id in the body and in X-Correlation-Id,
 * unless headers already went out (then the socket is cut).
 */
export function sendProblem(
  res: ServerResponse,
  problem: Problem,
  correlationId: string | undefined,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ ...problem, correlationId });
  res.statusCode = problem.status;
  if (correlationId !== undefined) res.setHeader('X-Correlation-Id', correlationId);
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.setHeader('content-type', 'application/problem+json');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}
