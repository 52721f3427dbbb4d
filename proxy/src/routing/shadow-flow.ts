import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CatchAll } from '../legacy/catch-all.ts';
import type { ShadowTicket } from './shadow-runner.ts';
import type { RouteResult } from './route.ts';
import { ErrorAnswer } from './run-handler.ts';
import { isLegacyCallError, legacyProblem } from '../legacy/errors.ts';
import { stateOf } from '../edge/request-state.ts';
import { startShadowSpan } from '../tracing/shadow-span.ts';

type Captured = { status: number; contentType?: string; body: Buffer | null };
type Answer = { status: number; body: unknown } | { error: Error };

export interface ShadowFlow {
  req: IncomingMessage;
  res: ServerResponse;
  ticket: ShadowTicket;
  correlationId: string;
  catchAll: CatchAll;
  maxBodyBytes: number;
  /** Starts the migrated handler on its own clock; the client never waits for it. */
  runMigrated: (signal: AbortSignal) => Promise<RouteResult>;
  /** A second legacy answer to the same request, to learn which fields are noise. */
  fetchLegacyAgain: (signal: AbortSignal) => Promise<{ status: number; body: unknown }>;
  timeoutMs: number;
}

/**
 * Shadow: the legacy API answers the client, streamed and untouched, while a copy of its
 * body is kept (up to a bound). Once the client has its answer the migrated handler runs
 * on the side (and, when calibrating, a second legacy answer is fetched); when both are
 * in, the ticket compares them. Nothing here can delay, change or fail the client's
 * response: the side work starts only after it, so the handler's legacy calls never
 * compete with the one the client is waiting for.
 */
export function serveShadowed(f: ShadowFlow): void {
  let legacy: Promise<Captured> | null = null;
  f.catchAll.forward(f.req, f.res, (proxyRes) => {
    legacy = capture(proxyRes, f.maxBodyBytes);
  });

  f.res.once('finish', () => {
    // No legacy answer at all (unreachable, timed out): the proxy answered; nothing to compare.
    if (!legacy) return f.ticket.abandon('no legacy answer');
    const legacyAnswer = legacy;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), f.timeoutMs);
    timer.unref();
    // Tracing on: the comparison's own span, linked to the request's; its calls are its children.
    const span = stateOf(f.req).trace ? startShadowSpan(stateOf(f.req)) : undefined;
    if (span) f.ticket.onSettled(span.end);
    const traced = <T>(fn: () => T): T => (span ? span.run(fn) : fn());

    const migrated: Promise<Answer> = traced(() => f.runMigrated(abort.signal)).then(
      (r) => ({ status: r.status ?? 200, body: r.body }),
      (error: Error) => migratedAnswerOf(error),
    );
    const second: Promise<Answer | undefined> = f.ticket.calibrate
      ? traced(() => f.fetchLegacyAgain(abort.signal)).then((r) => r, (error: Error) => ({ error }))
      : Promise.resolve(undefined);

    void Promise.all([legacyAnswer, migrated, second]).then(([legacyCaptured, migratedAnswer, secondAnswer]) => {
      clearTimeout(timer);
      f.ticket.complete({
        correlationId: f.correlationId,
        legacy: legacyCaptured,
        migrated: migratedAnswer,
        ...(secondAnswer ? { legacySecond: secondAnswer } : {}),
      });
    });
  });
  // The client went away before its answer was out: there is no answer of record to compare.
  f.res.once('close', () => {
    if (!f.res.writableFinished) f.ticket.abandon('client went away');
  });
}

/**
 * What the route would have answered in migrated mode when its handler did not return: an
 * error answer is an answer (compared by its status, as when it was returned), and so is a
 * legacy refusal the handler let through (a 404 on its read becomes the route's 404, as
 * serveMigrated makes it). "Not now" (429, 503) and failures to reach the legacy API say
 * nothing about the route's behaviour: they stay errors.
 */
function migratedAnswerOf(error: Error): Answer {
  if (error instanceof ErrorAnswer) return { status: error.problem.status, body: error.problem };
  if (isLegacyCallError(error) && error.kind === 'status' && error.status !== 429 && error.status !== 503) {
    const problem = legacyProblem(error);
    return { status: problem.status, body: problem };
  }
  return { error };
}

/** A bounded copy of a streaming body, taken without slowing or altering the stream. */
function capture(proxyRes: IncomingMessage, max: number): Promise<Captured> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    const contentType = proxyRes.headers['content-type'];
    const status = proxyRes.statusCode ?? 0;
    proxyRes.on('data', (chunk: Buffer) => {
      if (tooLarge) return;
      size += chunk.length;
      if (size > max) {
        tooLarge = true;
        chunks.length = 0;
      } else chunks.push(chunk);
    });
    proxyRes.once('end', () => resolve({ status, contentType, body: tooLarge ? null : Buffer.concat(chunks) }));
    proxyRes.once('close', () => resolve({ status, contentType, body: null })); // no-op after 'end'
  });
}
