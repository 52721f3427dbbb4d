import type { Logger } from 'pino';
import { createLegacyCache } from './cache.ts';
import { bindCaller } from './caller.ts';
import { createCallEvents, type EndpointEvent, type LegacyCallListener } from './call-events.ts';
import { createEndpointFigures, type EndpointFigures } from './endpoint-figures.ts';
import { createEndpointPipeline, type BreakerState, type EndpointPipeline } from './endpoint-pipeline.ts';
import { createAttemptAgent, type LegacyTracing } from './http-attempt.ts';
import {
  DEFAULT_ENDPOINT_POLICY,
  resolvePolicy,
  type EndpointPolicyOverride,
  type EndpointPolicyOverrides,
} from './policies.ts';

export { LegacyCallError, type LegacyCallErrorKind } from './errors.ts';
export type { EndpointFigures } from './endpoint-figures.ts';
export type { LegacyCallEvent, LegacyCallListener } from './call-events.ts';

export interface LegacyClientOptions {
  /** Legacy origin, e.g. http://127.0.0.1:4000 (a path prefix is kept). */
  baseUrl: string;
  /** Per-user cache in Redis when set; start-up fails if it cannot be reached. */
  redisUrl?: string;
  /** Default 1000. */
  sharedCacheMaxEntries?: number;
  /** In-memory fallback for the per-user cache, default 10000. */
  userCacheMaxEntries?: number;
  /** A cache read or write slower than this counts as a miss. Default 250 ms. */
  cacheOpTimeoutMs?: number;
  /** Layered over DEFAULT_ENDPOINT_POLICY, under each route's `upstream` overrides. */
  defaults?: EndpointPolicyOverride;
  log: Logger;
  /** How long an idle keep-alive socket to the legacy API is kept (LEGACY_KEEPALIVE_MS, default 4 s). */
  keepAliveMs?: number;
  /** Tracing on: spans for attempts and cache hits, and the trace context on every call. */
  tracing?: LegacyTracing;
}

export interface CallOptions {
  /** Policy key, e.g. 'courses.list'. */
  endpoint: string;
  cache?: { scope: 'shared' | 'user'; ttlMs?: number };
  /** Default: true for GET/HEAD, false otherwise. Only PUT and DELETE may opt in; POST/PATCH are never retried. */
  idempotent?: boolean;
  /** Sent as Idempotency-Key. */
  idempotencyKey?: string;
  /** Cache entries a write changes; dropped once the write is done (whatever its outcome). */
  invalidates?: Array<{ scope: 'shared' | 'user'; path: string }>;
}

export interface LegacyResponse<T> {
  status: number;
  body: T;
  headers: Headers;
}

/** Bound to one request: what handlers see as ctx.legacy. */
export interface LegacyCaller {
  /** The 2xx body (undefined when empty), else throws LegacyCallError. */
  get<T = unknown>(path: string, opts: CallOptions): Promise<T>;
  /**
   * Any answer below 500 is returned (4xx are answers, not failures); throws
   * LegacyCallError on transport, timeout, deadline, circuit, bulkhead, abort, a 5xx
   * once the policy is spent, and a 2xx body that is not JSON.
   */
  send<T = unknown>(
    method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    path: string,
    body: unknown,
    opts: CallOptions,
  ): Promise<LegacyResponse<T>>;
}

export interface BindRequest {
  routeId: string;
  correlationId: string;
  /** The caller's credential fields for the legacy API (Authorization, a token header or a Cookie: identity/legacy-jwt/token-location.ts). */
  credentials?: Readonly<Record<string, string>>;
  /** Required for user-scoped cache entries. */
  userId?: string;
  signal?: AbortSignal;
  /** The route's `upstream` declaration; read once, when the route first calls an endpoint. */
  policies?: EndpointPolicyOverrides;
}

export interface LegacyClient {
  bind(req: BindRequest): LegacyCaller;
  /** One entry per (route, endpoint) called so far, keyed `routeId:endpoint`. */
  health(): Array<{ key: string; state: BreakerState }>;
  /** What the policies did per (route, endpoint) since start: calls, errors by kind, retries, breaker, bulkhead, cache. */
  endpoints(): EndpointFigures[];
  /** Hears every call, retry, breaker move, bulkhead rejection and cache lookup (metrics); returns the unsubscribe function. */
  onEvent(listener: LegacyCallListener): () => void;
  /** Disconnects Redis. */
  close(): Promise<void>;
}

/**
 * The one way migrated routes reach the legacy API: per-endpoint resilience
 * (deadline, retries, breaker, bulkhead, attempt timeout) and a cache in front.
 */
export async function createLegacyClient(opts: LegacyClientOptions): Promise<LegacyClient> {
  const baseUrl = parseBaseUrl(opts.baseUrl);
  const defaults = resolvePolicy(DEFAULT_ENDPOINT_POLICY, opts.defaults);
  const cache = await createLegacyCache({
    redisUrl: opts.redisUrl,
    sharedMaxEntries: opts.sharedCacheMaxEntries ?? 1_000,
    userMaxEntries: opts.userCacheMaxEntries ?? 10_000,
    opTimeoutMs: opts.cacheOpTimeoutMs ?? 250,
    log: opts.log,
  });

  const agent = createAttemptAgent(baseUrl, opts.keepAliveMs ?? 4_000);
  const events = createCallEvents();
  const figures = createEndpointFigures();
  events.on(figures.record);

  // Breaker state must outlive requests: one pipeline per (route, endpoint), for good.
  const pipelines = new Map<string, EndpointPipeline>();
  function pipelineFor(routeId: string, endpoint: string, overrides?: EndpointPolicyOverrides): EndpointPipeline {
    const key = `${routeId}:${endpoint}`;
    let pipeline = pipelines.get(key);
    if (!pipeline) {
      const emit = (event: EndpointEvent) => events.emit({ ...event, route: routeId, endpoint });
      pipeline = createEndpointPipeline(key, endpoint, resolvePolicy(defaults, overrides?.[endpoint]), opts.log, emit);
      pipelines.set(key, pipeline);
    }
    return pipeline;
  }
  const health = () => [...pipelines.values()].map((p) => ({ key: p.key, state: p.state() }));

  return {
    bind: (req) => bindCaller({ baseUrl, agent, cache, pipelineFor, log: opts.log, emit: events.emit, tracing: opts.tracing }, req),
    health,
    endpoints: () => figures.figures(health()),
    onEvent: events.on,
    async close() {
      agent.destroy();
      await cache.close();
    },
  };
}

function parseBaseUrl(raw: string): URL {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`the legacy base URL is not a URL: ${JSON.stringify(raw)}`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new Error(`the legacy base URL must be http(s), got ${url.protocol}`);
  }
  if (url.search || url.hash || url.username || url.password) {
    throw new Error('the legacy base URL must not carry a query, fragment or credentials');
  }
  return url;
}
