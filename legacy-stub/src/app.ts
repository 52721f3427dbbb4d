import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Express, type NextFunction, type Request, type Response } from 'express';
import { errorCodeForStatus, LegacyError, sendLegacyError } from './legacy-error.ts';
import { requireAuth } from './require-auth.ts';
import { authRoutes } from './routes/auth.ts';
import { catalogueRoutes } from './routes/catalogue.ts';
import { enrollmentRoutes } from './routes/enrollments.ts';
import { homeRoutes } from './routes/home.ts';
import { httpQuirkRoutes } from './routes/http-quirks.ts';
import { peopleRoutes } from './routes/people.ts';
import { streamRoutes } from './routes/streams.ts';
import { stubAdminRoutes } from './routes/stub-admin.ts';
import { uploadRoutes } from './routes/upload.ts';
import type { StubContext } from './context.ts';

const publicDir = fileURLToPath(new URL('../public/', import.meta.url));

/**
 * The legacy API as Express sees it, top to bottom. Bodies are parsed only on the
 * routes that need them, so streaming routes get the raw request. Faults, the
 * request log and /api/echo live one level below, in request-pipeline.ts.
 */
export function createApp(ctx: StubContext): Express {
  const app = express();

  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.use(stubAdminRoutes(ctx));

  app.use(authRoutes(ctx));
  app.use(httpQuirkRoutes(ctx));
  app.use(streamRoutes());
  app.use(uploadRoutes());

  // Like many old APIs, everything else under /api wants a token first, even paths that do not exist.
  app.use('/api', requireAuth(ctx.world, ctx.tokens));
  app.use(peopleRoutes(ctx));
  app.use(catalogueRoutes(ctx));
  app.use(enrollmentRoutes(ctx));
  app.use(homeRoutes(ctx));
  app.get('/', earlyHints); // then the existing frontend, from the static files
  app.use(express.static(publicDir));

  app.use((req, res) => {
    sendLegacyError(res, 404, 'not_found', `No route for ${req.method} ${req.path}.`);
  });
  app.use(legacyErrorHandler);
  return app;
}

/**
 * 103 Early Hints for the frontend page, as servers in front of old apps often send them:
 * the browser may fetch the script and style while the page is still on its way. Never to an
 * HTTP/1.0 client, which knows no 1xx (RFC 9110 §15.2).
 */
function earlyHints(req: Request, res: Response, next: NextFunction): void {
  if (req.httpVersion !== '1.0') res.writeEarlyHints({ link: ['</app.js>; rel=preload; as=script', '</style.css>; rel=preload; as=style'] });
  next();
}

const legacyErrorHandler: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
  if (err instanceof LegacyError) {
    sendLegacyError(res, err.status, err.code, err.message, err.headers);
    return;
  }
  // body-parser errors carry a 4xx status and a type such as 'entity.parse.failed'.
  const { status, type, message } = (err ?? {}) as { status?: number; type?: string; message?: string };
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = type === 'entity.parse.failed' ? 'invalid_json' : errorCodeForStatus(status);
    sendLegacyError(res, status, code, message ?? 'The request was not understood.');
    return;
  }
  process.stderr.write(`legacy-stub: unhandled error: ${message ?? String(err)}\n`);
  sendLegacyError(res, 500, 'internal_error', 'Something went wrong in the legacy API.');
};
