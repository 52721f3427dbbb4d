import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { assignCorrelationId, echoCorrelationId } from './edge/correlation-id.ts';
import { createRequestLogger } from './edge/logging.ts';
import { createMetrics, type Metrics } from './edge/metrics.ts';
import { createFinishedHook } from './edge/finished.ts';
import { createBodyPace } from './edge/body-pace.ts';
import { ProblemError, problems, sendProblem, STORE_RETRY_AFTER, type Problem } from './edge/problem.ts';
import { refuse, setState, stateOf, type RequestState } from './edge/request-state.ts';
import { upgradeResponse } from './edge/upgrade-response.ts';
import { isWebSocketUpgrade, servedWithoutUpgrade } from './edge/ignored-upgrade.ts';
import { normaliseTarget } from './edge/request-target.ts';
import { healthRouter } from './health/health-router.ts';
import { createLegacyReachability } from './health/legacy-reachability.ts';
import { createReadiness } from './health/readiness.ts';
import { publicOriginResolver } from './edge/public-origin.ts';
import { createForwardedPolicy } from './edge/forwarded.ts';
import { checkRequestHead, singleFields } from './edge/request-head.ts';
import { createFlags } from './flags/index.ts';
import { createCanaryGuard } from './canary/canary-guard.ts';
import { guardMetrics } from './canary/guard-metrics.ts';
import { createRollbackStore } from './canary/rollback-store.ts';
import { createKeyv, closeKeyv } from './storage/keyv-store.ts';
import { createStoreCheck } from './storage/store-check.ts';
import { StoreUnavailableError } from './storage/store-unavailable.ts';
import { createSessions } from './identity/sessions/sessions.ts';
import { createLegacyIdentity } from './identity/legacy-jwt/legacy-identity.ts';
import { createCallerResolver } from './identity/resolve-caller.ts';
import { createCutoff } from './identity/cutoff.ts';
import { createLegacyCredentials } from './identity/legacy-jwt/legacy-credentials.ts';
import { createRefusals } from './identity/refusals.ts';
import { createIdentityGate } from './identity/pass-through-gate.ts';
import { createAuthRoutes } from './identity/auth-routes.ts';
import { createCatchAll } from './legacy/catch-all.ts';
import { createClientShare } from './legacy/client-share.ts';
import { createLegacyClient } from './legacy/client.ts';
import { legacyCallMetrics } from './legacy/resilience-metrics.ts';
import { createRegistry, loadRouteFiles, type Registry } from './routing/registry.ts';
import { attachMatch, legacyForEveryone, serveMigrated } from './routing/serve-migrated.ts';
import { createIdempotency } from './routing/idempotency.ts';
import { createIdempotencyStore } from './routing/idempotency-store.ts';
import { createShadowRunner } from './routing/shadow-runner.ts';
import { createShadowStats, type ShadowStats } from './routing/shadow-stats.ts';
import { createStatusAccess } from './status/access.ts';
import { createTrafficAccounting, type TrafficAccounting } from './status/accounting.ts';
import { createEndpointTemplates } from './status/path-template.ts';
import { createStatusRouter } from './status/status-router.ts';
import type { Flags } from './flags/index.ts';
import { legacyCallTracing } from './tracing/legacy-call-span.ts';
import { endServerSpan, requestContext, startServerSpan } from './tracing/server-span.ts';

export interface Proxy {
  server: http.Server;
  metrics: Metrics;
  registry: Registry;
  flags: Flags;
  shadowStats: ShadowStats;
  /** The status page's traffic counters (flush() writes this instance's to the store now). */
  traffic: TrafficAccounting;
  /** Listens on the configured host and port (0 = any free port); resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /**
   * The first half of a shutdown behind a load balancer: readiness answers 503 from now on,
   * while requests are still accepted and served (with `Connection: close`) for `delayMs`.
   */
  drain(delayMs?: number): Promise<void>;
  /** True from drain() on. */
  readonly draining: boolean;
  /** Stops accepting, lets in-flight requests finish up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Builds the request pipeline. A request meets, in order:
 *   0. dispatch on the raw request: own endpoints and migrated routes go to the Express app;
 *      a request carrying our session cookie (or, after the cutoff, a bearer token) passes
 *      the identity gate first; everything else goes straight to the catch-all;
 *   1. edge: correlation id; the request target in origin-form (else 400); one finished hook for
 *      the metrics, the log line and the status accounting;
 *   2. own endpoints under the reserved prefix (health, metrics, migration status, sign-in pages, passkeys, OIDC);
 *   3. identity: session cookie, else legacy JWT, else anonymous — resolved once, lazily;
 *   4. CSRF for cookie-authenticated unsafe methods;
 *   5. migrated routes: the flags decide legacy, shadow or migrated, sticky per user;
 *   6. catch-all: the legacy API, streamed both ways;
 *   7. errors: problem+json with the correlation id, from one handler.
 * A WebSocket handshake meets 0, 1 and 3-4 (a session's must come from an allowed Origin),
 * then the catch-all; any other Upgrade (h2c) is ignored and the request served as above.
 */
export async function createProxy(config: Config, log: Logger): Promise<Proxy> {
  const requestLog = createRequestLogger(log);
  const forwarded = createForwardedPolicy(config.trustedHops);
  const publicOrigin = publicOriginResolver(config.publicUrl, forwarded);
  const prefix = config.reservedPrefix;

  // --- state and collaborators, created once -------------------------------------------
  const registry = createRegistry(await loadRouteFiles(config.migratedRoutesDir), prefix, { routeCase: config.routeCase });
  const flags = await createFlags(config.flags, log);
  // Off by default (OTEL_TRACES_EXPORTER=none): then the SDK is never even loaded.
  const tracing = config.tracing ? (await import('./tracing/provider.ts')).createTracing(config.tracing, log) : undefined;
  const catchAll = createCatchAll({
    legacyUrl: config.legacyUrl,
    timeoutMs: config.legacyTimeoutMs,
    maxSockets: config.legacyMaxSockets,
    keepAliveMs: config.legacyKeepAliveMs,
    maxHeaderBytes: config.maxHeaderBytes,
    publicOrigin,
    forwarded,
    log,
  });
  // Slow clients must not hold the legacy pool: bodies keep arriving, or end; each client gets a share.
  const bodyPace = createBodyPace({
    idleMs: config.requestPace.bodyIdleMs,
    minBytesPerSecond: config.requestPace.bodyMinBytesPerSecond,
    graceMs: config.requestPace.bodyGraceMs,
    log,
  });
  const legacyShare = createClientShare({ perClient: config.legacyMaxSocketsPerClient, clientKey: forwarded.clientAddress });
  const legacy = await createLegacyClient({ baseUrl: config.legacyUrl, redisUrl: config.redisUrl, keepAliveMs: config.legacyKeepAliveMs, log, tracing: tracing && legacyCallTracing(tracing) });
  const shadowStats = createShadowStats();
  const shadow = createShadowRunner({ maxConcurrent: config.shadow.maxConcurrent, maxBodyBytes: config.shadow.maxBodyBytes, stats: shadowStats, log });

  const sessionKeyv = createKeyv({ redisUrl: config.redisUrl, namespace: 'sess', timeoutMs: config.storeTimeoutMs });
  // Migrated writes' Idempotency-Key records: shared by every instance, and never failing open.
  const idempotencyKeyv = createKeyv({ redisUrl: config.redisUrl, namespace: 'idem', timeoutMs: config.storeTimeoutMs });
  const sessions = createSessions({ keyv: sessionKeyv, secret: sessionSecret(config, log), secure: config.cookieSecure });
  // The legacy API's own credential: where it travels, how it is checked, how it is minted (LEGACY_TOKEN_*, LEGACY_JWT_*).
  const legacyToken = createLegacyIdentity(config.legacyToken, config.mint, log);
  // Traffic for the status page: counted in memory from the metrics' one finish listener,
  // flushed to Keyv in the background (counters fail open: throwOnErrors false).
  const statusKeyv = createKeyv({ redisUrl: config.redisUrl, namespace: 'status', throwOnErrors: false, timeoutMs: config.storeTimeoutMs });
  const traffic = createTrafficAccounting({
    keyv: statusKeyv,
    storage: config.redisUrl ? 'redis' : 'memory',
    flushMs: config.status.flushMs,
    carriesSessionCookie: sessions.carriesCookie,
    carriesLegacyToken: legacyToken.location.carries,
    log,
    settle: () => finished.drain(),
    templates: createEndpointTemplates({ ...config.status.pathTemplates, caseSensitive: config.routeCase === 'sensitive' }),
  });
  // Beside readiness, never in it: probed at LEGACY_HEALTH_PATH, or judged from the catch-all's outcomes.
  const legacyReach = createLegacyReachability({ legacyUrl: config.legacyUrl, healthPath: config.legacyHealthPath });
  const metrics = createMetrics({ legacy: legacyReach });
  legacy.onEvent(legacyCallMetrics(metrics.registry, () => legacy.health()));
  // Each canary's two sides compared as requests finish; a rollback is shared through the store.
  const guardKeyv = createKeyv({ redisUrl: config.redisUrl, namespace: 'guard', timeoutMs: config.storeTimeoutMs });
  const guard = createCanaryGuard({ routes: registry.routes.map((e) => e.route), flags, store: createRollbackStore(guardKeyv), instanceId: traffic.instanceId, log });
  guardMetrics(metrics.registry, guard);
  await guard.start();
  // The one listener each request gets for its end: metrics, the log line, the status page (in batches).
  const finished = createFinishedHook(
    [metrics.record, requestLog, traffic.record, guard.record, ...legacyReach.finishedListeners, ...(tracing ? [endServerSpan] : [])],
    legacyShare.release,
  );
  shadowStats.onOutcome((route, outcome) => {
    metrics.shadowOutcomes.inc({ route, outcome: outcome.result });
    traffic.recordShadow(route, outcome);
    guard.recordShadow(route, outcome);
  });
  const cutoff = createCutoff(config.authCutoff);
  const resolveCaller = createCallerResolver({ sessions, jwt: legacyToken.verifier, cutoff, location: legacyToken.location });
  const credentials = createLegacyCredentials(legacyToken.minter, sessions.cookieName, legacyToken.location);
  const refusals = createRefusals({ prefix, cutoffDate: cutoff.date, clearCookie: sessions.clearCookie });
  const gate = createIdentityGate({
    resolve: resolveCaller,
    carriesSessionCookie: sessions.carriesCookie,
    cutoffPassed: cutoff.passed,
    credentials,
    refusals,
    allowedOrigins: [...new Set([config.auth.publicOrigin, ...config.allowedOrigins])],
    location: legacyToken.location,
    isLegacyLogin: isLegacyLogin(config.legacyLogin),
  });
  const readiness = createReadiness({
    flags,
    store: config.redisUrl ? createStoreCheck(sessionKeyv, config.storeTimeoutMs) : undefined,
    legacy: legacyReach,
    draining: () => draining,
    log,
  });
  const auth = await createAuthRoutes({ config, sessions, resolveCaller, log });

  // --- the Express app: own endpoints and migrated routes --------------------------------
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const own = express.Router();
  own.use(healthRouter(readiness));
  own.use('/auth', auth.router);
  own.get('/metrics', async (_req, res) => {
    finished.drain(); // every request that finished before the scrape is in it
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  own.use(
    createStatusRouter({
      access: createStatusAccess({ sessions, refusals, staffRoles: config.status.staffRoles, staffUsers: config.status.staffUsers, token: config.status.token }),
      traffic,
      sources: {
        registry,
        flags,
        traffic,
        reachability: legacyReach,
        circuits: () => legacy.health(),
        noisyPaths: (routeId) => shadowStats.snapshot(routeId).noisyPaths,
        cutoff,
        guard,
        endpoints: () => legacy.endpoints(),
      },
      prefix,
      rollbacks: { guard, refusals, allowedOrigins: [...new Set([config.auth.publicOrigin, ...config.allowedOrigins])] },
    }),
  );
  // The key the legacy API trusts for tokens the proxy mints for cookie sessions.
  own.get('/.well-known/jwks.json', async (_req, res) => {
    const jwk = await legacyToken.minter.publicJwk(); // none when minting with the legacy API's HMAC secret
    res.json({ keys: jwk ? [jwk] : [] });
  });
  own.use((req) => {
    throw new ProblemError(problems.notFound(`${req.method} ${req.originalUrl} is not one of the proxy's endpoints.`));
  });
  app.use(prefix, own);
  const handleError = errorHandler(log);
  app.use(handleError);
  // Migrated routes are served from the dispatcher, without Express: they read the raw request
  // and write the raw response, and Express's router cost about a tenth of a warm dashboard.
  const migrated = serveMigrated({
    registry,
    flags,
    guard,
    gate,
    credentials,
    refusals,
    catchAll,
    legacy,
    legacyUrl: config.legacyUrl,
    shadow,
    shadowMaxBodyBytes: config.shadow.maxBodyBytes,
    shadowTimeoutMs: 30_000,
    idempotency: createIdempotency({ store: createIdempotencyStore(idempotencyKeyv), maxAnswerBytes: config.idempotencyMaxAnswerBytes, log }),
    log,
  });

  // --- dispatch on the raw request -----------------------------------------------------------
  const isOwn = (url: string) =>
    url.startsWith(prefix) && (url.length === prefix.length || url[prefix.length] === '/' || url[prefix.length] === '?');

  const mustComeOnce = singleFields(legacyToken.location.spec.kind === 'header' ? legacyToken.location.spec.name : undefined);

  /**
   * What every request meets first: its correlation id, its target in origin-form, the
   * boundary's framing rules, and the state record the log line, the metrics and the status
   * page read. Returns why the request is refused, if it is.
   */
  function arrive(req: IncomingMessage): Problem | undefined {
    const refusal = checkRequestHead(req, config.maxHeaderFields, mustComeOnce); // the head as it came
    const correlationId = assignCorrelationId(req);
    const badTarget = normaliseTarget(req); // origin-form (or the * of OPTIONS) from here on
    setState(req, {
      correlationId,
      startedAt: process.hrtime.bigint(),
      method: req.method!,
      url: req.url!,
      servedBy: 'legacy',
      route: 'catch-all',
      arrivedWith: traffic.arrivedWith(req),
    });
    if (tracing) startServerSpan(tracing, req, stateOf(req));
    if (refusal) return problems.refusedHead(refusal.status, refusal.detail);
    return badTarget === undefined ? undefined : problems.badRequest(badTarget);
  }

  function servedByProxy(state: RequestState): void {
    state.servedBy = 'own';
    state.route = 'own';
  }

  let draining = false;

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    if ((req.socket as Refused)[REFUSED]) return void req.socket.destroy();
    // An answer during shutdown ends its connection, so a load balancer's kept-alive
    // connections move to other instances while this one still serves.
    if (draining) res.shouldKeepAlive = false;
    const refused = arrive(req);
    const state = stateOf(req);
    const { correlationId, url } = state;
    finished.watch(res);
    bodyPace(req, res);
    if (refused) {
      // Whatever else is on this connection cannot be trusted to be framed as it seems: the
      // answer closes it, and nothing parsed after it is served.
      refuse(req, problemName(refused));
      res.shouldKeepAlive = false;
      (req.socket as Refused)[REFUSED] = true;
      return sendProblem(res, refused, correlationId);
    }
    if (isOwn(url)) {
      servedByProxy(state);
      echoCorrelationId(res, correlationId);
      return toExpress(req, res);
    }
    const match = registry.match(req.method!, url);
    if (match && 'refused' in match) {
      refuse(req, problemName(match.refused));
      return sendProblem(res, match.refused, correlationId);
    }
    // A route nobody can be on the new side of is its legacy endpoint's: passed through as below.
    if (match && !legacyForEveryone(req, match, { flags, registry })) {
      attachMatch(req, match);
      echoCorrelationId(res, correlationId);
      return toMigrated(req, res);
    }
    // Both ways below lead to the catch-all: the client's share of the legacy pool first.
    if (!legacyShare.admit(req, res)) return;
    if (gate.wants(req)) {
      echoCorrelationId(res, correlationId);
      gate.admit(req, res).then(
        (admitted) => admitted && catchAll.forward(req, res),
        (err: unknown) => {
          log.error({ err, correlationId }, 'identity gate failed');
          sendProblem(res, problems.internal(), correlationId);
        },
      );
      return;
    }
    // Plain pass-through: the catch-all echoes the correlation id in its one writeHead. A legacy
    // token is checked on the side, for the dual-auth counts only.
    gate.observe(req);
    catchAll.forward(req, res);
  }

  function toExpress(req: IncomingMessage, res: ServerResponse): void {
    // Node answers 100-continue itself only without a 'checkContinue' listener; the proxy has
    // one (so the legacy API decides for proxied requests), so its own endpoints say yes here.
    if (req.headers.expect !== undefined) res.writeContinue();
    app(req as never, res as never);
  }

  function toMigrated(req: IncomingMessage, res: ServerResponse): void {
    if (req.headers.expect !== undefined) res.writeContinue();
    // Errors (a thrown ProblemError, a body too large, a store fault) get the answers Express's error handler gives.
    const failed = (err: unknown) => {
      try {
        handleError(err, req as never, res as never, () => undefined);
      } catch (handlerErr) {
        // Express would have caught this; here it would be an unhandled rejection and end the process.
        log.error({ err: handlerErr, correlationId: stateOf(req).correlationId }, 'error handler failed');
        res.destroy();
      }
    };
    const serve = () => Promise.resolve(migrated(req as never, res as never, (err?: unknown) => failed(err ?? new Error('a migrated route was dispatched without its match')))).catch(failed);
    // Tracing on: the request's span is the active context in there, so the handler's legacy calls find their parent.
    const trace = tracing && stateOf(req).trace;
    if (trace) void trace.tracing.withContext(requestContext(trace), serve);
    else void serve();
  }

  // Node's server stops tracking a socket once it is upgraded, so closeAllConnections() would
  // leave open WebSockets (and slow h2c-upgrade requests) holding up shutdown for as long as
  // they last.
  const upgradedSockets = new Set<Duplex>();

  /**
   * A WebSocket handshake: the same edge, target rules and identity gate as any request, and
   * the same problem+json when it is refused. Migrated routes take no WebSockets: a handshake
   * goes to the legacy API. Any other Upgrade (h2c) is ignored: the request is served as it is.
   */
  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Node hands an upgraded socket over without its own 'error' listener, and http-proxy adds
    // one only once the legacy API has answered 101: a client resetting the connection before
    // then would end the process. The socket is destroyed by the error; 'close' does the rest.
    socket.on('error', ignoreSocketError);
    upgradedSockets.add(socket);
    socket.once('close', () => upgradedSockets.delete(socket));
    let refusal: string | undefined;
    if (!isWebSocketUpgrade(req)) {
      const plain = servedWithoutUpgrade(req, socket, head);
      if (typeof plain !== 'string') return onRequest(plain.req, plain.res);
      refusal = plain;
    }
    const refused = arrive(req) ?? (refusal === undefined ? undefined : problems.badRequest(refusal));
    const state = stateOf(req);
    const { correlationId, url } = state;
    const noted = (status: number) => finished.noteHandshake(req, status);
    socket.once('close', () => noted(499)); // only if nothing was noted before
    // Migrated routes take no WebSocket, but a path the registry refuses is refused here too.
    const routed = refused || isOwn(url) ? null : registry.match(req.method!, url);
    const misspelt = routed && 'refused' in routed ? routed.refused : undefined;
    if (refused || misspelt || isOwn(url)) {
      const problem = refused ?? misspelt ?? problems.notFound(`The proxy's own endpoints take no WebSocket (${url}).`);
      if (refused || misspelt) refuse(req, problemName(problem));
      else servedByProxy(state);
      sendProblem(upgradeResponse(req, socket), problem, correlationId);
      return noted(problem.status);
    }
    if (!gate.wants(req)) {
      gate.observe(req);
      return catchAll.upgrade(req, socket, head, noted);
    }
    const res = upgradeResponse(req, socket);
    gate.admit(req, res, { webSocket: true }).then(
      (admitted) => {
        if (!admitted) return noted(res.statusCode);
        res.release();
        catchAll.upgrade(req, socket, head, noted);
      },
      (err: unknown) => {
        log.error({ err, correlationId }, 'identity gate failed');
        sendProblem(res, problems.internal(), correlationId);
        noted(500);
      },
    );
  }

  // Node's default (16 KiB) is below what browsers send and many servers take: big cookies
  // that reach the legacy API directly must reach it through the proxy too.
  // A head gets REQUEST_HEAD_TIMEOUT_MS, checked every second at most (Node's own check runs
  // every 30 s). No whole-request limit: Node's 5-minute default would cut long uploads that
  // are still arriving at a fair pace; bodies are edge/body-pace.ts's.
  const headTimeoutMs = config.requestPace.headTimeoutMs;
  const server = http.createServer({
    maxHeaderSize: config.maxHeaderBytes,
    // The edge refuses a missing Host itself, with a problem+json like every other refusal.
    requireHostHeader: false,
    headersTimeout: headTimeoutMs,
    requestTimeout: 0,
    connectionsCheckingInterval: Math.min(1_000, Math.max(10, Math.floor(headTimeoutMs / 4))),
  });
  // Node would drop fields past its 2000th silently, after its parser had framed the body by
  // them; the edge counts every field instead and refuses a head with too many (431).
  server.maxHeadersCount = 0;
  server.on('request', onRequest);
  server.on('checkContinue', onRequest);
  server.on('upgrade', onUpgrade);
  server.on('clientError', answerMalformed);

  return {
    server,
    metrics,
    registry,
    flags,
    shadowStats,
    traffic,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as { port: number }).port);
        });
      });
    },
    get draining() {
      return draining;
    },
    async drain(delayMs = config.drainDelayMs) {
      draining = true;
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    },
    async close(graceMs = config.shutdownGraceMs) {
      draining = true;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Keep-alive connections close as soon as their last answer is out, not at the limit.
      server.closeIdleConnections();
      const sweep = setInterval(() => server.closeIdleConnections(), 100);
      const timer = setTimeout(() => {
        server.closeAllConnections();
        for (const socket of upgradedSockets) socket.destroy();
      }, graceMs);
      await closed;
      clearInterval(sweep);
      clearTimeout(timer);
      finished.close(); // the last requests' log lines, metrics, counts and spans
      guard.close();
      catchAll.close();
      await traffic.close();
      await Promise.allSettled([tracing?.close(), flags.close(), legacy.close(), closeKeyv(sessionKeyv), closeKeyv(statusKeyv), closeKeyv(idempotencyKeyv), closeKeyv(guardKeyv), ...auth.stores.map((k) => closeKeyv(k))]);
    },
  };
}

function ignoreSocketError(): void {}

/**
 * A request Node cannot even parse (bad request line, oversized headers) never reaches the
 * pipeline; it still gets a problem+json answer with a correlation id instead of a bare 400.
 */
function answerMalformed(err: NodeJS.ErrnoException, socket: Duplex): void {
  // Bytes after a request that ends its connection (HTTP/1.0 without keep-alive) are not read:
  // the answer in progress goes out, then the connection closes.
  if (err.code === 'HPE_CLOSED_CONNECTION') return;
  if (err.code === 'ECONNRESET' || !socket.writable || (socket as Refused)[REFUSED]) {
    socket.destroy();
    return;
  }
  const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const correlationId = randomUUID();
  const body = JSON.stringify({
    type: status === 408 ? 'urn:strangler-proxy:request-timeout' : 'urn:strangler-proxy:malformed-request',
    title: http.STATUS_CODES[status],
    status,
    detail: MALFORMED_DETAIL[status],
    correlationId,
  });
  socket.end(
    `HTTP/1.1 ${status} ${http.STATUS_CODES[status]}\r\nContent-Type: application/problem+json\r\n` +
      `X-Correlation-Id: ${correlationId}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const MALFORMED_DETAIL: Record<number, string> = {
  400: 'The request could not be parsed as HTTP.',
  408: 'The request head did not arrive in time.',
  431: 'The request headers are too large.',
};

/** The legacy API's own login endpoint, as configured (LEGACY_LOGIN_ENDPOINT); the query never counts. */
function isLegacyLogin(login: Config['legacyLogin']): ((req: IncomingMessage) => boolean) | undefined {
  if (!login) return undefined;
  return (req) => req.method === login.method && (req.url === login.path || req.url!.startsWith(`${login.path}?`));
}

/** `urn:strangler-proxy:too-many-fields` -> `too-many-fields`: the reason the log line and the status page show. */
function problemName(problem: Problem): string {
  return problem.type?.slice(problem.type.lastIndexOf(':') + 1) ?? String(problem.status);
}

/** A connection on which a request was refused at the edge: it is closing, and serves nothing more. */
const REFUSED = Symbol('strangler.refusedConnection');
type Refused = { [REFUSED]?: boolean };

function sessionSecret(config: Config, log: Logger): string {
  if (config.sessionSecret) return config.sessionSecret;
  log.warn('SESSION_SECRET is not set: using a random one for this process (development only; sessions end at restart and are not shared between instances)');
  return randomBytes(32).toString('base64url');
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const correlationId = stateOf(req).correlationId;
    if (err instanceof ProblemError) {
      sendProblem(res, err.problem, correlationId, err.headers);
      return;
    }
    if (err instanceof StoreUnavailableError) {
      log.warn({ err, correlationId }, 'store unavailable');
      // A session renewal that failed after the answer went out: the answer stands.
      if (!res.writableEnded) sendProblem(res, problems.storeUnavailable(), correlationId, STORE_RETRY_AFTER);
      return;
    }
    // Express's own errors (a body too large, malformed JSON) carry a 4xx status: say so plainly.
    const status = typeof err?.status === 'number' && err.status >= 400 && err.status < 500 ? err.status : 500;
    if (status < 500) {
      sendProblem(res, { title: http.STATUS_CODES[status] ?? 'Bad Request', status, detail: err.expose ? err.message : undefined }, correlationId);
      return;
    }
    log.error({ err, correlationId }, 'unhandled error');
    sendProblem(res, problems.internal(), correlationId);
  };
}
