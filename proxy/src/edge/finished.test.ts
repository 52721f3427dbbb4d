import { describe, it, expect, afterEach } from 'vitest';
import http from 'node:http';
import { rawRequest } from '../../../test-support/raw-http.ts';
import { until } from '../../../test-support/until.ts';
import { createFinishedHook, type FinishedListener } from './finished.ts';
import { setState, type FinishedRequest } from './request-state.ts';

/**
 * The finished hook notes each request when its response closes and runs the bookkeeping
 * (metrics, log line, status counts) over the requests of the last 10 ms at once. What a user
 * of the log and the metrics relies on: every request is reported once, with the status the
 * client got and its duration, and a faulty listener never costs the others their record.
 */
let server: http.Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

async function serve(listeners: FinishedListener[], handler: http.RequestListener) {
  const hook = createFinishedHook(listeners);
  server = http.createServer((req, res) => {
    setState(req, { correlationId: String(req.headers['x-id']), startedAt: process.hrtime.bigint(), method: req.method!, url: req.url!, servedBy: 'legacy', route: 'catch-all', arrivedWith: 'other' });
    hook.watch(res);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return { hook, port: (server.address() as { port: number }).port };
}

describe('the finished hook', () => {
  it('reports every request once, with its status and duration, to every listener, even when one throws', async () => {
    const seen: FinishedRequest[] = [];
    const alsoSeen: string[] = [];
    const { port } = await serve(
      [
        () => {
          throw new Error('a broken listener');
        },
        (done) => seen.push({ ...done }),
        (done) => alsoSeen.push(done.correlationId),
      ],
      (req, res) => setTimeout(() => res.writeHead(req.url === '/missing' ? 404 : 200).end('x'), 20),
    );
    await Promise.all(['/a', '/missing', '/b?q=1'].map((path, i) => rawRequest({ port, path, headers: ['X-Id', `id-${i}`] })));
    await until(() => seen.length === 3);
    expect(seen.map((d) => [d.correlationId, d.url, d.status]).sort()).toEqual([
      ['id-0', '/a', 200],
      ['id-1', '/missing', 404],
      ['id-2', '/b?q=1', 200],
    ]);
    for (const d of seen) expect(d.seconds).toBeGreaterThanOrEqual(0.015);
    expect(alsoSeen.sort()).toEqual(['id-0', 'id-1', 'id-2']);
  });

  it('reports a client that left before its answer as 499', async () => {
    const seen: FinishedRequest[] = [];
    let answer: (() => void) | undefined;
    const { port } = await serve([(done) => seen.push({ ...done })], (_req, res) => {
      answer = () => res.end('late');
    });
    const req = http.request({ port, host: '127.0.0.1', path: '/slow', headers: { 'X-Id': 'gone' } });
    req.on('error', () => {});
    req.end();
    await until(() => answer !== undefined);
    req.destroy();
    await until(() => seen.length === 1);
    expect(seen[0]).toMatchObject({ correlationId: 'gone', status: 499 });
  });

  it('drain() reports what finished at once, without waiting for the batch (shutdown and readers rely on it)', async () => {
    const seen: string[] = [];
    let seenRightAfterDrain: string[] = [];
    let hook: ReturnType<typeof createFinishedHook> | undefined;
    const started = await serve([(done) => seen.push(done.correlationId)], (_req, res) => {
      // Runs right after the hook's own 'close' listener, long before the batch's 10 ms are up.
      res.on('close', () => {
        hook!.drain();
        seenRightAfterDrain = [...seen];
      });
      res.end('x');
    });
    hook = started.hook;
    await rawRequest({ port: started.port, path: '/', headers: ['X-Id', 'now'] });
    await until(() => seenRightAfterDrain.length > 0);
    expect(seenRightAfterDrain).toEqual(['now']);
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(seen).toEqual(['now']); // and the batch's own run, had it not been called off, reports nothing twice
  });
});
