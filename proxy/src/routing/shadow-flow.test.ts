import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { until } from '../../../test-support/until.ts';
import { createForwardedPolicy } from '../edge/forwarded.ts';
import { setState } from '../edge/request-state.ts';
import { createCatchAll, type CatchAll } from '../legacy/catch-all.ts';
import { errorAnswerProblem } from '../legacy/rejection-problem.ts';
import type { RouteResult } from './route.ts';
import { ErrorAnswer } from './run-handler.ts';
import { LegacyCallError } from '../legacy/errors.ts';
import { serveShadowed } from './shadow-flow.ts';
import { createShadowRunner } from './shadow-runner.ts';
import { createShadowStats, type ShadowOutcome } from './shadow-stats.ts';

/**
 * Shadow with a migrated handler whose answer is an error: an error answer (problem+json since
 * run-handler.ts makes it one) is compared by its status, as a returned one always was. The
 * legacy API is a real HTTP server, reached through the real catch-all.
 */

const log = pino({ level: 'silent' });
const REFUSAL = { error: 'invalid_query', message: 'limit must be a number' };
let legacy: http.Server;
let front: http.Server;
let catchAll: CatchAll;
let runMigrated: (signal: AbortSignal) => Promise<RouteResult>;
/** Held legacy answers: the test lets one go when it has checked what happened meanwhile. */
let holdLegacy: Promise<void> | undefined;
let legacyArrivals = 0;
const stats = createShadowStats();
const runner = createShadowRunner({ maxConcurrent: 4, maxBodyBytes: 64 * 1024, stats, log });

const listen = (server: http.Server) => new Promise<number>((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));

beforeAll(async () => {
  legacy = http.createServer(async (_req, res) => {
    legacyArrivals++;
    await holdLegacy;
    res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify(REFUSAL));
  });
  const legacyPort = await listen(legacy);
  catchAll = createCatchAll({
    legacyUrl: `http://127.0.0.1:${legacyPort}`,
    timeoutMs: 5_000,
    maxSockets: 4,
    keepAliveMs: 1_000,
    maxHeaderBytes: 16 * 1024,
    publicOrigin: () => 'http://proxy.test',
    forwarded: createForwardedPolicy(0),
    log,
  });
  front = http.createServer((req, res) => {
    // What the edge notes on every request before routing sees it.
    setState(req, { correlationId: 'corr-shadow', startedAt: process.hrtime.bigint(), method: req.method!, url: req.url!, servedBy: 'legacy', route: 'courses', arrivedWith: 'legacyJwt' });
    const ticket = runner.begin('courses', { calibrationRate: 0 })!;
    serveShadowed({
      req,
      res,
      ticket,
      correlationId: 'corr-shadow',
      catchAll,
      maxBodyBytes: 64 * 1024,
      timeoutMs: 5_000,
      runMigrated: (signal) => runMigrated(signal),
      fetchLegacyAgain: () => Promise.reject(new Error('not calibrating')),
    });
  });
  await listen(front);
});
afterAll(async () => {
  catchAll?.close();
  for (const server of [front, legacy]) {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
});

async function shadowed(migrated: () => Promise<RouteResult>): Promise<{ status: number; body: string; outcome: ShadowOutcome }> {
  runMigrated = migrated;
  const outcome = new Promise<ShadowOutcome>((resolve) => {
    const leave = stats.onOutcome((_, o) => (leave(), resolve(o)));
  });
  const res = await fetch(`http://127.0.0.1:${(front.address() as AddressInfo).port}/api/courses?limit=x`);
  return { status: res.status, body: await res.text(), outcome: await outcome };
}

const errorAnswer = (status: number) => () => Promise.reject(new ErrorAnswer(errorAnswerProblem(status, REFUSAL, { status: 422, body: REFUSAL })));

describe('shadow with an error answer on the migrated side', () => {
  it('the same status as the legacy refusal is a match, and the client gets the legacy answer untouched', async () => {
    const { status, body, outcome } = await shadowed(errorAnswer(422));
    expect(status).toBe(422);
    expect(JSON.parse(body)).toEqual(REFUSAL);
    expect(outcome).toMatchObject({ result: 'match' });
  });

  it('another status is a mismatch on $status', async () => {
    const { outcome } = await shadowed(errorAnswer(400));
    expect(outcome).toMatchObject({ result: 'mismatch', differences: [{ path: '$status', legacy: '422', migrated: '400' }] });
  });

  it('a legacy refusal the handler lets through is the answer the route gives in migrated mode, compared as such', async () => {
    const { outcome } = await shadowed(() => Promise.reject(new LegacyCallError('courses', 'status', 'answered 404', 404)));
    expect(outcome).toMatchObject({ result: 'mismatch', differences: [{ path: '$status', legacy: '422', migrated: '404' }] });
  });

  it('a legacy "not now" (503) on the handler\'s call says nothing about the route: an error, not an answer', async () => {
    const { outcome } = await shadowed(() => Promise.reject(new LegacyCallError('courses', 'status', 'answered 503', 503)));
    expect(outcome).toMatchObject({ result: 'error' });
  });

  it('a handler that throws is still an error, not an answer', async () => {
    const { outcome } = await shadowed(() => Promise.reject(new Error('bug')));
    expect(outcome).toMatchObject({ result: 'error', reason: 'migrated handler threw' });
  });

  it('the migrated handler starts only once the client has its answer: its calls never compete with the one the client waits for', async () => {
    let release!: () => void;
    holdLegacy = new Promise((resolve) => (release = resolve));
    let handlerStarted = false;
    const arrivalsBefore = legacyArrivals;
    const answer = shadowed(() => {
      handlerStarted = true;
      return Promise.reject(new ErrorAnswer(errorAnswerProblem(422, REFUSAL, { status: 422, body: REFUSAL })));
    });
    await until(() => legacyArrivals > arrivalsBefore);
    // The legacy API has the client's request and has not answered yet: the side has not begun.
    await new Promise((resolve) => setImmediate(resolve));
    expect(handlerStarted).toBe(false);
    release();
    holdLegacy = undefined;
    const { status, outcome } = await answer;
    expect(status).toBe(422);
    expect(handlerStarted).toBe(true);
    expect(outcome).toMatchObject({ result: 'match' });
  });
});
