import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { LegacyClient } from '../legacy/client.ts';
import type { Caller, MigratedRoute, RouteResult } from './route.ts';

export interface HandlerRun {
  route: MigratedRoute;
  req: IncomingMessage;
  params: Record<string, string>;
  caller: Caller;
  /** What the legacy API is shown for this caller (their own token, or one minted for their session), as header fields. */
  credentials: Record<string, string>;
  correlationId: string;
  body: unknown;
  signal: AbortSignal;
  legacy: LegacyClient;
  log: Logger;
}

/** Builds the handler's context and runs it: the one place a migrated handler is called from. */
export function runHandler(run: HandlerRun): Promise<RouteResult> {
  const url = run.req.url ?? '/';
  const q = url.indexOf('?');
  return run.route.handle({
    correlationId: run.correlationId,
    params: run.params,
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    headers: run.req.headers,
    body: run.body,
    caller: run.caller,
    signal: run.signal,
    log: run.log,
    legacy: run.legacy.bind({
      routeId: run.route.id,
      correlationId: run.correlationId,
      credentials: run.credentials,
      userId: run.caller.userId,
      signal: run.signal,
      policies: run.route.upstream,
    }),
  });
}
