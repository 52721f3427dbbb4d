import type { Agent } from 'node:http';
import type { Logger } from 'pino';
import { cacheKey, type CacheScope, type LegacyCache } from './cache.ts';
import type { LegacyCallEvent } from './call-events.ts';
import type { BindRequest, CallOptions, LegacyCaller, LegacyResponse } from './client.ts';
import type { EndpointPipeline } from './endpoint-pipeline.ts';
import { LegacyCallError } from './errors.ts';
import { sendAttempt, type AttemptResult, type LegacyRequest, type LegacyTracing } from './http-attempt.ts';
import { DEFAULT_CACHE_TTL_MS, type EndpointPolicyOverrides } from './policies.ts';

export interface CallerDeps {
  baseUrl: URL;
  /** The lane's keep-alive pool to the legacy API (createAttemptAgent). */
  agent: Agent;
  cache: LegacyCache;
  pipelineFor(routeId: string, endpoint: string, overrides?: EndpointPolicyOverrides): EndpointPipeline;
  log: Logger;
  /** Cache lookups are reported here (the pipeline reports the rest). */
  emit?(event: LegacyCallEvent): void;
  /** Tracing on: a span per attempt, carrying its context to the legacy API, and per cache hit. */
  tracing?: LegacyTracing;
}

type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/** The legacy client as one request sees it: its credentials, correlation id and signal. */
export function bindCaller(deps: CallerDeps, req: BindRequest): LegacyCaller {
  // Made when a call has something to log (a retry): most requests never do, and a pino child
  // serialises its bindings when made.
  let log: Logger | undefined;
  const callLog = () => (log ??= deps.log.child({ correlationId: req.correlationId, routeId: req.routeId }));

  function call(method: Method, path: string, body: unknown, opts: CallOptions, signal?: AbortSignal) {
    const pipeline = deps.pipelineFor(req.routeId, opts.endpoint, req.policies);
    const request = buildRequest(deps.baseUrl, method, path, body, opts, req);
    return pipeline.run({
      send: (abort, trace) => sendAttempt(deps.agent, opts.endpoint, request, pipeline.policy.attemptTimeoutMs, abort, trace),
      signal,
      retryable: mayRetry(method, opts.idempotent),
      log: callLog,
      trace: deps.tracing?.call(req.routeId, opts.endpoint, request, opts.cache !== undefined),
    });
  }

  async function getBody<T>(path: string, opts: CallOptions, signal?: AbortSignal): Promise<T> {
    const res = await call('GET', path, undefined, opts, signal);
    if (!isSuccess(res.status)) {
      throw new LegacyCallError(opts.endpoint, 'status', `the legacy API answered ${res.status}`, res.status);
    }
    return successBody(opts.endpoint, res) as T;
  }

  return {
    async get<T = unknown>(path: string, opts: CallOptions): Promise<T> {
      if (!opts.cache) return getBody<T>(path, opts, req.signal);
      const { scope } = opts.cache;
      const key = cacheKey(scope, path, req.userId);
      const ttlMs =
        opts.cache.ttlMs ??
        deps.pipelineFor(req.routeId, opts.endpoint, req.policies).policy.cacheTtlMs ??
        DEFAULT_CACHE_TTL_MS;
      let fetched = false;
      const load = (signal: AbortSignal) => {
        fetched = true;
        return getBody<T>(path, opts, signal);
      };
      try {
        return await deps.cache.getOrFetch(scope, key, ttlMs, load, req.signal);
      } catch (err) {
        // A caller who leaves a shared fetch gets its signal's reason; say it our way.
        if (req.signal?.aborted) throw new LegacyCallError(opts.endpoint, 'aborted', 'the caller went away');
        throw err;
      } finally {
        if (!fetched) deps.tracing?.cacheHit(req.routeId, opts.endpoint, path);
        deps.emit?.({ type: 'cache', hit: !fetched, route: req.routeId, endpoint: opts.endpoint });
      }
    },

    async send<T = unknown>(
      method: 'POST' | 'PUT' | 'PATCH' | 'DELETE',
      path: string,
      body: unknown,
      opts: CallOptions,
    ): Promise<LegacyResponse<T>> {
      // Key the invalidations first: a missing user id must fail before the write, not after.
      const stale: Array<[CacheScope, string]> = (opts.invalidates ?? []).map((i) => [
        i.scope,
        cacheKey(i.scope, i.path, req.userId),
      ]);
      try {
        const res = await call(method, path, body, opts, req.signal);
        if (res.status >= 500) {
          throw new LegacyCallError(opts.endpoint, 'status', `the legacy API answered ${res.status}`, res.status);
        }
        const answer = isSuccess(res.status) ? successBody(opts.endpoint, res) : lenientBody(res.text);
        return { status: res.status, body: answer as T, headers: res.headers };
      } finally {
        // Whatever happened, the write may have landed (a timeout can follow a commit).
        await Promise.all(stale.map(([scope, key]) => deps.cache.invalidate(scope, key)));
      }
    },
  };
}

/** GET unless the call says otherwise; PUT/DELETE only when it says so; never POST/PATCH. */
function mayRetry(method: Method, idempotent: boolean | undefined): boolean {
  if (method === 'GET') return idempotent !== false;
  if (method === 'PUT' || method === 'DELETE') return idempotent === true;
  return false;
}

function buildRequest(
  baseUrl: URL,
  method: Method,
  path: string,
  body: unknown,
  opts: CallOptions,
  req: BindRequest,
): LegacyRequest {
  const headers: Record<string, string> = {
    ...req.credentials,
    accept: 'application/json',
    'x-correlation-id': req.correlationId,
  };
  if (opts.idempotencyKey) headers['idempotency-key'] = opts.idempotencyKey;
  let text: string | undefined;
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    text = JSON.stringify(body);
  }
  return { method, url: legacyUrl(baseUrl, path), headers, body: text };
}

/** Paths are relative to the legacy origin; anything that could leave it is a programming error. */
function legacyUrl(baseUrl: URL, path: string): URL {
  if (!path.startsWith('/') || path.startsWith('//') || path.includes('\\')) {
    throw new Error(`a legacy path must start with a single '/': ${JSON.stringify(path)}`);
  }
  const url = new URL(baseUrl.pathname.replace(/\/$/, '') + path, baseUrl.origin);
  if (url.origin !== baseUrl.origin) throw new Error(`a legacy path must stay on the legacy origin`);
  return url;
}

const isSuccess = (status: number) => status >= 200 && status <= 299;

/** A 2xx body is JSON or nothing (204, or an empty 201); anything else is a broken answer. */
function successBody(endpoint: string, res: AttemptResult): unknown {
  if (res.text.trim() === '') return undefined;
  try {
    return JSON.parse(res.text);
  } catch {
    throw new LegacyCallError(
      endpoint,
      'status',
      `malformed reply: the legacy API answered ${res.status} with a body that is not JSON`,
      res.status,
    );
  }
}

/** An error answer's body as the legacy API gave it: JSON when it is JSON, else its text. */
function lenientBody(text: string): unknown {
  if (text.trim() === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
