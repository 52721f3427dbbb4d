import http, { type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ProblemError } from '../edge/problem.ts';
import { createLegacyClient, type LegacyClient } from '../legacy/client.ts';
import { defineRoute, type RouteContext, type RouteResult } from './route.ts';
import { ErrorAnswer, runHandler } from './run-handler.ts';

/**
 * The one place a migrated handler runs: a handler that relays a legacy refusal answers
 * problem+json, whatever the legacy API's error shape. The legacy API here is a real HTTP
 * server on loopback, reached through the real legacy client.
 */

const log = pino({ level: 'silent' });
/** What the legacy API answers, per path. */
const answers: Record<string, { status: number; type: string; body: string }> = {
  '/api/enrollments': { status: 422, type: 'application/json', body: JSON.stringify({ error: 'idempotency_key_reused', message: 'This Idempotency-Key was already used with a different body.' }) },
  '/api/credit': { status: 403, type: 'application/problem+json', body: JSON.stringify({ type: 'https://legacy.example/out-of-credit', title: 'Out of credit', status: 403, balance: 30 }) },
  '/api/fine': { status: 201, type: 'application/json', body: JSON.stringify({ id: 'e-1' }) },
};
let server: http.Server;
let legacy: LegacyClient;

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const answer = answers[req.url ?? ''] ?? { status: 404, type: 'text/plain', body: 'no such path' };
    req.resume().on('end', () => res.writeHead(answer.status, { 'content-type': answer.type }).end(answer.body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  legacy = await createLegacyClient({ baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, log });
});
afterAll(async () => {
  await legacy?.close();
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
});

function run(handle: (ctx: RouteContext) => Promise<RouteResult>): Promise<RouteResult> {
  const route = defineRoute({ id: 'test-route', method: 'POST', path: '/x', flag: 'route.test', owner: 'test', targetDate: '2027-01-01', handle });
  return runHandler({
    route,
    req: { url: '/x', headers: {} } as IncomingMessage,
    params: {},
    caller: { userId: 'u-1', roles: [], via: 'legacy-jwt' },
    credentials: {},
    correlationId: 'corr-1',
    body: undefined,
    signal: new AbortController().signal,
    legacy,
    log,
  });
}

/** The handler relays what the legacy API answered, as migrated-routes/enrollments.ts does. */
const relay = (path: string, headers: Record<string, string> = {}) => async ({ legacy }: RouteContext): Promise<RouteResult> => {
  const res = await legacy.send('POST', path, { courseId: 'c-1' }, { endpoint: 'test.write' });
  return { status: res.status, headers, body: res.body };
};

async function errorAnswerOf(result: Promise<RouteResult>): Promise<ErrorAnswer> {
  const err = await result.then(
    (r) => r,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ErrorAnswer);
  expect(err).toBeInstanceOf(ProblemError); // so the one error handler writes it as problem+json
  return err as ErrorAnswer;
}

describe('a handler relaying a legacy answer', () => {
  it('a legacy {error, message} 422 becomes a legacy-rejected problem with the message, the handler headers kept', async () => {
    const err = await errorAnswerOf(run(relay('/api/enrollments', { 'Idempotent-Replayed': 'true' })));
    expect(err.problem).toMatchObject({
      type: 'urn:strangler-proxy:legacy-rejected',
      status: 422,
      detail: 'This Idempotency-Key was already used with a different body.',
      error: 'idempotency_key_reused',
    });
    expect(err.problem).not.toHaveProperty('legacyStatus');
    expect(err.headers).toEqual({ 'Idempotent-Replayed': 'true' });
  });

  it('a legacy problem+json passes through as it was', async () => {
    const err = await errorAnswerOf(run(relay('/api/credit')));
    expect(err.problem).toEqual({ type: 'https://legacy.example/out-of-credit', title: 'Out of credit', status: 403, balance: 30 });
  });

  it('a plain-text refusal gives its text as detail', async () => {
    const err = await errorAnswerOf(run(relay('/api/nowhere')));
    expect(err.problem).toMatchObject({ type: 'urn:strangler-proxy:legacy-rejected', status: 404, detail: 'no such path' });
  });

  it('a refusal the handler turns into a success is left alone', async () => {
    const result = await run(async (ctx) => {
      const res = await ctx.legacy.send('POST', '/api/enrollments', {}, { endpoint: 'test.write' });
      return { status: 200, body: { alreadyDone: res.status === 422 } };
    });
    expect(result).toEqual({ status: 200, body: { alreadyDone: true } });
  });

  it("after a later write succeeded, the handler's own error is not blamed on the legacy API", async () => {
    const err = await errorAnswerOf(
      run(async (ctx) => {
        await ctx.legacy.send('POST', '/api/enrollments', {}, { endpoint: 'test.write' });
        await ctx.legacy.send('POST', '/api/fine', {}, { endpoint: 'test.write' });
        return { status: 400, body: { message: 'Pick a session first.' } };
      }),
    );
    expect(err.problem).toEqual({ type: 'about:blank', title: 'Bad Request', status: 400, detail: 'Pick a session first.', message: 'Pick a session first.' });
  });

  it('reads reach the legacy API through the same context', async () => {
    const result = await run(async (ctx) => ({ body: await ctx.legacy.get('/api/fine', { endpoint: 'test.read' }) }));
    expect(result).toEqual({ body: { id: 'e-1' } });
  });
});
