import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type RequestHandler } from 'express';
import type { Logger } from 'pino';
import { ProblemError } from '../edge/problem.ts';
import { stateOf } from '../edge/request-state.ts';
import type { CanaryGuard } from '../canary/canary-guard.ts';
import type { Flags } from '../flags/index.ts';
import type { IdentityGate } from '../identity/pass-through-gate.ts';
import type { LegacyCredentials } from '../identity/legacy-jwt/legacy-credentials.ts';
import type { Refusals } from '../identity/refusals.ts';
import { cannotVerifyNow } from '../identity/legacy-jwt/legacy-jwt.ts';
import type { CatchAll } from '../legacy/catch-all.ts';
import type { LegacyClient } from '../legacy/client.ts';
import { isLegacyCallError, legacyProblem } from '../legacy/errors.ts';
import { anonymousKey } from './anonymous-key.ts';
import type { Idempotency } from './idempotency.ts';
import type { Registry, RouteMatch } from './registry.ts';
import type { Caller, RouteResult } from './route.ts';
import { runHandler } from './run-handler.ts';
import { serveShadowed } from './shadow-flow.ts';
import type { ShadowRunner } from './shadow-runner.ts';
import { activeTraceHeaders } from '../tracing/propagation.ts';

export interface MigratedDeps {
  registry: Registry;
  flags: Flags;
  /** Rollbacks in force: the canary's users go back to the legacy API. */
  guard: Pick<CanaryGuard, 'rolledBack'>;
  gate: IdentityGate;
  credentials: LegacyCredentials;
  refusals: Refusals;
  catchAll: CatchAll;
  legacy: LegacyClient;
  legacyUrl: string;
  shadow: ShadowRunner;
  shadowMaxBodyBytes: number;
  shadowTimeoutMs: number;
  /** Idempotency-Key records for migrated writes (routing/idempotency.ts). */
  idempotency: Idempotency;
  log: Logger;
}

const MATCH = Symbol('strangler.routeMatch');
type Matched = IncomingMessage & { [MATCH]?: RouteMatch };

/** The dispatcher hands a matched request to Express with its match attached, so routes are matched once. */
export function attachMatch(req: IncomingMessage, match: RouteMatch): void {
  (req as Matched)[MATCH] = match;
}

/**
 * On the raw request, before Express: when nobody can be on the new side of the matched route
 * (its flag off, or at 0% without shadow), the request is the legacy endpoint's and needs no
 * caller to be decided. Rewrites `req.url` to that endpoint and notes the decision as
 * serveMigrated would; the dispatcher then forwards it as it forwards any pass-through. False:
 * the flags must decide per caller (serveMigrated).
 */
export function legacyForEveryone(req: IncomingMessage, match: RouteMatch, deps: Pick<MigratedDeps, 'flags' | 'registry'>): boolean {
  const { route } = match.entry;
  if (deps.flags.mayLeaveLegacy(route.flag)) return false;
  deps.flags.countLegacy(route.flag);
  const state = stateOf(req);
  state.route = route.id;
  state.decision = 'legacy';
  state.servedBy = 'legacy';
  req.url = deps.registry.legacyUrl(match, req.url!);
  return true;
}

const SAFE_FOR_SHADOW = new Set(['GET', 'HEAD']);
const WITH_BODY = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/**
 * Who serves a request that matches a migrated route: the flags decide, per route and
 * sticky per user, between `legacy` (forwarded to the endpoint the route replaces),
 * `shadow` (legacy answers, the handler runs on the side and is compared) and `migrated`.
 */
export function serveMigrated(deps: MigratedDeps): RequestHandler {
  const parseJson = express.json({ limit: '1mb' });

  return async (req, res, next) => {
    const match = (req as Matched)[MATCH];
    if (!match) return next();
    const { route } = match.entry;
    const state = stateOf(req);
    state.route = route.id;

    const resolution = await deps.gate.admit(req, res);
    if (!resolution) return;
    const caller: Caller | undefined = resolution.kind === 'session' || resolution.kind === 'legacy-jwt' ? resolution.caller : undefined;

    let side = deps.flags.decide(route.flag, { userId: caller?.userId, sessionId: anonymousKey(req) });
    // Rolled back: the legacy API answers the canary's users, and shadow shows whether the route has recovered.
    if (side === 'migrated' && deps.guard.rolledBack(route.id)) side = 'shadow';
    // Shadow runs the handler a second time on the side: only for reads, and only for someone it can run as.
    if (side === 'shadow' && (!SAFE_FOR_SHADOW.has(req.method!) || !caller)) side = 'legacy';
    state.decision = side;

    const legacyUrl = deps.registry.legacyUrl(match, req.url!);
    if (side === 'legacy') {
      state.servedBy = 'legacy';
      req.url = legacyUrl;
      deps.catchAll.forward(req, res);
      return;
    }

    if (!caller) {
      // A token the proxy cannot check right now (keys or 'who am I' unreachable) is no reason
      // to tell the frontend to sign in again: it may drop a good token. Try again shortly.
      if (resolution.kind === 'legacy-jwt-invalid' && cannotVerifyNow(resolution.reason)) deps.refusals.cannotVerify(req, res);
      else deps.refusals.unauthenticated(req, res);
      return;
    }
    const credentials = await deps.credentials.headersFor(caller, req);
    const handlerRun = (signal: AbortSignal, body: unknown) =>
      runHandler({ route, req, params: match.params, caller, credentials, correlationId: state.correlationId, body, signal, legacy: deps.legacy, log: deps.log });

    if (side === 'shadow') {
      const ticket = deps.shadow.begin(route.id, route.shadow ?? {});
      state.servedBy = 'legacy';
      req.url = legacyUrl;
      if (!ticket) {
        deps.catchAll.forward(req, res);
        return;
      }
      serveShadowed({
        req,
        res,
        ticket,
        correlationId: state.correlationId,
        catchAll: deps.catchAll,
        maxBodyBytes: deps.shadowMaxBodyBytes,
        timeoutMs: deps.shadowTimeoutMs,
        runMigrated: (signal) => handlerRun(signal, undefined),
        fetchLegacyAgain: (signal) => fetchLegacy(deps.legacyUrl + legacyUrl, credentials, state.correlationId, signal),
      });
      return;
    }

    state.servedBy = 'migrated';
    const body = WITH_BODY.has(req.method!) ? await parseBody(parseJson, req, res) : undefined;
    const clientGone = new AbortController();
    res.once('close', () => {
      if (!res.writableFinished) clientGone.abort();
    });
    const run = async (): Promise<RouteResult> => {
      try {
        return await handlerRun(clientGone.signal, body);
      } catch (err) {
        if (isLegacyCallError(err)) throw new ProblemError(legacyProblem(err));
        throw err;
      }
    };
    send(req, res, await deps.idempotency.around({ req, route, caller, params: match.params, body }, run));
  };
}

function parseBody(parser: RequestHandler, req: IncomingMessage, res: ServerResponse): Promise<unknown> {
  return new Promise((resolve, reject) =>
    parser(req as never, res as never, (err?: unknown) => (err ? reject(err) : resolve((req as { body?: unknown }).body))),
  );
}

function send(req: IncomingMessage, res: ServerResponse, result: RouteResult): void {
  const payload = result.body === undefined ? '' : JSON.stringify(result.body);
  res.statusCode = result.status ?? 200;
  for (const [name, value] of Object.entries(result.headers ?? {})) res.setHeader(name, value);
  if (payload) {
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(payload));
  }
  res.end(req.method === 'HEAD' ? undefined : payload);
}

async function fetchLegacy(url: string, credentials: Record<string, string>, correlationId: string, signal: AbortSignal): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, {
    headers: { ...credentials, accept: 'application/json', 'x-correlation-id': correlationId, ...activeTraceHeaders() },
    signal,
    redirect: 'manual',
  });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}
