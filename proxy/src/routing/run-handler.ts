import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { ProblemError } from '../edge/problem.ts';
import type { CallOptions, LegacyCaller, LegacyClient, LegacyResponse } from '../legacy/client.ts';
import { errorAnswerProblem, type LegacyRejection } from '../legacy/rejection-problem.ts';
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

/**
 * A handler's error answer, as problem+json. Thrown rather than returned so that the one error
 * handler writes it and idempotency records keep it as a problem; shadow comparison still reads
 * it as the answer it is (shadow-flow.ts).
 */
export class ErrorAnswer extends ProblemError {}

/**
 * Builds the handler's context and runs it: the one place a migrated handler is called from,
 * so the one place where an error answer it returns (often a legacy refusal relayed as it came,
 * `{error}` or `{errors}`) becomes problem+json, whatever the handler.
 */
export async function runHandler(run: HandlerRun): Promise<RouteResult> {
  const url = run.req.url ?? '/';
  const q = url.indexOf('?');
  const refusals: RefusalSeen = {};
  const result = await run.route.handle({
    correlationId: run.correlationId,
    params: run.params,
    query: new URLSearchParams(q === -1 ? '' : url.slice(q + 1)),
    headers: run.req.headers,
    body: run.body,
    caller: run.caller,
    signal: run.signal,
    log: run.log,
    legacy: noteRefusals(
      run.legacy.bind({
        routeId: run.route.id,
        correlationId: run.correlationId,
        credentials: run.credentials,
        userId: run.caller.userId,
        signal: run.signal,
        policies: run.route.upstream,
      }),
      refusals,
    ),
  });
  const status = result.status ?? 200;
  if (status < 400) return result;
  throw new ErrorAnswer(errorAnswerProblem(status, result.body, refusals.latest), result.headers);
}

type RefusalSeen = { latest?: LegacyRejection };

/** The bound caller, noting the latest legacy 4xx a write got: the refusal a handler's error answer relays. */
function noteRefusals(caller: LegacyCaller, seen: RefusalSeen): LegacyCaller {
  return {
    get: <T>(path: string, opts: CallOptions) => caller.get<T>(path, opts),
    async send<T>(method: 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body: unknown, opts: CallOptions): Promise<LegacyResponse<T>> {
      const res = await caller.send<T>(method, path, body, opts);
      seen.latest = res.status >= 400 ? { status: res.status, body: res.body, contentType: res.headers.get('content-type') ?? undefined } : undefined;
      return res;
    },
  };
}
