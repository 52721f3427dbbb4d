import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import { ProblemError, problems, STORE_RETRY_AFTER, type Problem } from '../edge/problem.ts';
import { refuse, stateOf } from '../edge/request-state.ts';
import { StoreUnavailableError } from '../storage/store-unavailable.ts';
import { readIdempotencyKey } from './idempotency-key.ts';
import { resolveIdempotency, SAFE_METHODS } from './idempotency-settings.ts';
import type { Finished, IdempotencyRecord, IdempotencyStore, KeptAnswer } from './idempotency-store.ts';
import type { Caller, MigratedRoute, RouteResult } from './route.ts';

/** Marks an answer sent again from its record (the name Stripe's clients, and the legacy stand-in, already read). */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export interface IdempotencyDeps {
  store: IdempotencyStore;
  /** Larger answers are not kept (IDEMPOTENCY_MAX_ANSWER_BYTES): the key is then marked done, not replayable. */
  maxAnswerBytes: number;
  log: Logger;
}

export interface GuardedRequest {
  req: IncomingMessage;
  route: MigratedRoute;
  caller: Caller;
  params: Record<string, string>;
  /** The parsed body the handler gets. */
  body: unknown;
}

export interface Idempotency {
  /**
   * Runs `run` (the migrated handler) at most once per caller, route and Idempotency-Key while
   * the key's record lasts, per draft-ietf-httpapi-idempotency-key-header: a retry gets the first
   * answer back (with Idempotent-Replayed: true), the key with another payload 422, a retry while
   * the first still runs 409. Requests without a key, and safe methods, just run.
   */
  around(request: GuardedRequest, run: () => Promise<RouteResult>): Promise<RouteResult>;
}

/**
 * Answers a retry should not get back for a day: they say "not now" or "not with these
 * credentials", and the same key is expected to come again once that has changed. 5xx (and a
 * crash) are not kept either: the draft leaves it to the server, and keeping a failure would make
 * the key useless exactly when the client retries for it. A write that landed before a 5xx is
 * caught by the legacy API when it honours keys: handlers send it the same one.
 */
const RETRY_LATER: ReadonlySet<number> = new Set([401, 403, 408, 425, 429]);
const keeps = (status: number) => status < 500 && !RETRY_LATER.has(status);

export function createIdempotency(deps: IdempotencyDeps): Idempotency {
  const { store, log } = deps;

  /** Keeps the handler's answer under the claim, or frees the key when a retry should run again. Never throws. */
  async function settle(id: string, claim: { token: string; fingerprint: string }, answer: KeptAnswer | undefined, ttlMs: number, at: { correlationId: string; route: string }): Promise<void> {
    const { token, fingerprint } = claim;
    try {
      const status = answer === undefined ? 500 : 'problem' in answer ? answer.problem.status : answer.status;
      if (answer === undefined || !keeps(status)) return await store.release(id, token);
      const record: Finished =
        Buffer.byteLength(JSON.stringify(answer)) <= deps.maxAnswerBytes
          ? { state: 'answered', fingerprint, token, answer }
          : { state: 'too-large', fingerprint, token, status, location: headerOf(answer.headers, 'location') };
      if (!(await store.finish(id, record, ttlMs))) {
        log.warn(at, 'idempotency claim ran out before the answer: the answer was not kept');
      }
    } catch (err) {
      // The answer goes out all the same. A claim left behind ends with its lease (retries get 409
      // until then); a retry after it runs again, and the legacy API sees the same key.
      log.warn({ err, ...at }, 'idempotency record could not be written');
    }
  }

  return {
    async around({ req, route, caller, params, body }, run) {
      if (SAFE_METHODS.has(req.method!)) return run();
      const settings = resolveIdempotency(route.idempotency);
      const reading = readIdempotencyKey(req.headers);
      if (reading === undefined && !settings.required) return run();
      if (reading === undefined) throw refusal(req, missingKey(req.method!, route.path));
      if ('invalid' in reading) throw refusal(req, invalidKey(reading.invalid));

      const { correlationId, url } = stateOf(req);
      const id = `${route.id}:${digest(`${caller.userId}\n${reading.key}`)}`;
      const fingerprint = fingerprintOf(req.method!, params, url, body);
      let claim;
      try {
        claim = await store.claim(id, fingerprint, settings.leaseMs);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        log.warn({ err, correlationId, route: route.id }, 'idempotency records unavailable: the write was not attempted');
        // Running the write without its record could apply it twice when the client retries.
        throw refusal(req, recordsUnavailable(), STORE_RETRY_AFTER);
      }
      if (!claim.claimed) return answerFrom(req, claim.record, fingerprint);

      const held = { token: claim.token, fingerprint };
      const at = { correlationId, route: route.id };
      let result: RouteResult;
      try {
        result = await run();
      } catch (err) {
        // A problem the handler threw is its answer too; anything else (a crash) frees the key.
        const answer = err instanceof ProblemError ? { problem: err.problem, headers: kept(err.headers) } : undefined;
        await settle(id, held, answer, settings.ttlMs, at);
        throw err;
      }
      await settle(id, held, { status: result.status ?? 200, headers: kept(result.headers ?? {}), body: result.body }, settings.ttlMs, at);
      return result;
    },
  };
}

/** The record's answer for a retry, or the problem that says why there is none. */
function answerFrom(req: IncomingMessage, record: IdempotencyRecord, fingerprint: string): RouteResult {
  if (record.fingerprint !== fingerprint) throw refusal(req, keyReused());
  if (record.state === 'running') throw refusal(req, inProgress(), { 'Retry-After': '1' });
  if (record.state === 'too-large') throw refusal(req, answerNotKept(record.status, record.location));
  const { answer } = record;
  if ('problem' in answer) throw new ProblemError(answer.problem, { ...answer.headers, [REPLAYED_HEADER]: 'true' });
  return { status: answer.status, headers: { ...answer.headers, [REPLAYED_HEADER]: 'true' }, body: answer.body };
}

/**
 * What makes two requests with one key the same request: method, the route's parameters, the
 * query, and the body as the handler reads it (parsed JSON, so key order and whitespace do not count).
 */
function fingerprintOf(method: string, params: Record<string, string>, url: string, body: unknown): string {
  const q = url.indexOf('?');
  const sortedParams = Object.keys(params).sort().map((k) => [k, params[k]]);
  return digest(JSON.stringify([method, sortedParams, q === -1 ? '' : url.slice(q + 1), digest(canonicalJson(body))]));
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value ?? null);
}

const digest = (text: string) => createHash('sha256').update(text).digest('base64url');

/** A handler's headers as a replay should repeat them: never a cookie, which would hand one caller's state out again. */
function kept(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'set-cookie'));
}

function headerOf(headers: Record<string, string>, name: string): string | undefined {
  return Object.entries(headers).find(([n]) => n.toLowerCase() === name)?.[1];
}

/** The proxy answers itself: the log line, the metrics and the status page say so, not the route. */
function refusal(req: IncomingMessage, problem: Problem, headers: Record<string, string> = {}): ProblemError {
  refuse(req, problem.type!.slice(problem.type!.lastIndexOf(':') + 1));
  return new ProblemError(problem, headers);
}

const missingKey = (method: string, path: string): Problem => ({
  type: 'urn:strangler-proxy:idempotency-key-missing',
  title: 'Idempotency-Key is missing',
  status: 400,
  detail: `${method} ${path} needs an Idempotency-Key header: a new quoted string for each request ("8e03978e-40d5-43e8-bc93-6894a57f9324"), the same one for its retries.`,
});

const invalidKey = (how: string): Problem => ({
  type: 'urn:strangler-proxy:idempotency-key-invalid',
  title: 'Idempotency-Key is not readable',
  status: 400,
  detail: how,
});

const keyReused = (): Problem => ({
  type: 'urn:strangler-proxy:idempotency-key-reused',
  title: 'Idempotency-Key is already used',
  status: 422,
  detail: 'This Idempotency-Key was first sent with another request (its method, path, query or body differ). A key names one request: send a new key for a new request.',
});

const inProgress = (): Problem => ({
  type: 'urn:strangler-proxy:idempotency-in-progress',
  title: 'A request is outstanding for this Idempotency-Key',
  status: 409,
  detail: 'A request with this Idempotency-Key is still being processed. Retry in a moment with the same key to get its answer.',
});

const answerNotKept = (firstStatus: number, location: string | undefined): Problem => ({
  type: 'urn:strangler-proxy:idempotency-answer-not-kept',
  title: 'Idempotency-Key is already used',
  status: 409,
  detail: `The request with this Idempotency-Key was processed (status ${firstStatus}), but its answer was too large to keep for retries. It will not be processed again${location ? `; its outcome is at ${location}` : ''}.`,
  firstStatus,
  ...(location ? { location } : {}),
});

const recordsUnavailable = (): Problem => ({
  ...problems.storeUnavailable(),
  detail: 'Idempotency records are unavailable right now, so the request was not processed. Try again in a few seconds with the same Idempotency-Key.',
});
