import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import express, { type ErrorRequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from './config.ts';
import { assignCorrelationId } from './edge/correlation-id.ts';
import { createRequestLogger } from './edge/logging.ts';
import { createMetrics, type Metrics } from './edge/metrics.ts';
import { ProblemError, problems, sendProblem } from './edge/problem.ts';
import { setState, stateOf } from './edge/request-state.ts';
import { createLegacyProbe, healthRouter } from './edge/health.ts';
import { publicOriginResolver } from './edge/public-origin.ts';
import { createCatchAll } from './legacy/catch-all.ts';

export interface Proxy {
  server: http.Server;
  metrics: Metrics;
  /** Listens on the configured host and port (0 = any free port); resolves with the bound port. */
  listen(port?: number, host?: string): Promise<number>;
  /** Stops accepting, lets in-flight requests finish up to `graceMs`, then cuts what is left. */
  close(graceMs?: number): Promise<void>;
}

/**
 * Builds the request pipeline, in the order a request meets it:
 *   0. dispatch on the raw request: own endpoints and migrated routes go to the Express app,
 *      everything else goes straight to the catch-all without paying for Express;
 *   1. edge: correlation id, request log, metrics timer;
 *   2. own endpoints under the reserved prefix (health, metrics);
 *   6. catch-all: the legacy API, streamed both ways;
 *   7. errors: problem+json with the correlation id, from one handler.
 */
export async function createProxy(config: Config, log: Logger): Promise<Proxy> {
  const metrics = createMetrics();
  const requestLog = createRequestLogger(log);
  const publicOrigin = publicOriginResolver(config.publicUrl, config.trustForwarded);
  const catchAll = createCatchAll({
    legacyUrl: config.legacyUrl,
    timeoutMs: config.legacyTimeoutMs,
    maxSockets: config.legacyMaxSockets,
    keepAliveMs: config.legacyKeepAliveMs,
    publicOrigin,
    log,
  });
  const probe = createLegacyProbe(config.legacyUrl);

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const own = express.Router();
  own.use(healthRouter(probe));
  own.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  own.use((req) => {
    throw new ProblemError(problems.notFound(`${req.method} ${req.originalUrl} is not one of the proxy's endpoints.`));
  });
  app.use(config.reservedPrefix, own);
  app.use(errorHandler(log));

  const prefix = config.reservedPrefix;
  const isOwn = (url: string) =>
    url.startsWith(prefix) && (url.length === prefix.length || url[prefix.length] === '/' || url[prefix.length] === '?');

  function onRequest(req: IncomingMessage, res: ServerResponse): void {
    const correlationId = assignCorrelationId(req, res);
    setState(req, { correlationId, startedAt: process.hrtime.bigint(), servedBy: 'legacy', route: 'catch-all' });
    requestLog(req, res);
    metrics.observe(req, res);
    if (isOwn(req.url!)) {
      const state = stateOf(req);
      state.servedBy = 'own';
      state.route = 'own';
      if (req.headers.expect !== undefined) res.writeContinue();
      app(req as never, res as never);
      return;
    }
    catchAll.forward(req, res);
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (isOwn(req.url!)) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    catchAll.upgrade(req, socket, head);
  }

  const server = http.createServer();
  server.on('request', onRequest);
  // With a 'checkContinue' listener Node does not answer 100 by itself: the legacy API decides,
  // and its 100 (or its refusal) is relayed by the catch-all.
  server.on('checkContinue', onRequest);
  server.on('upgrade', onUpgrade);

  return {
    server,
    metrics,
    listen(port = config.port, host = config.host) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          resolve((server.address() as { port: number }).port);
        });
      });
    },
    async close(graceMs = config.shutdownGraceMs) {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      await closed;
      clearTimeout(timer);
      catchAll.close();
    },
  };
}

function errorHandler(log: Logger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const correlationId = stateOf(req).correlationId;
    if (err instanceof ProblemError) {
      sendProblem(res, err.problem, correlationId, err.headers);
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
