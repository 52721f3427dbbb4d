import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { createLegacyClient } from '../proxy/src/legacy/client.ts';
import { createEndpointPipeline } from '../proxy/src/legacy/endpoint-pipeline.ts';
import { AttemptAbort, createAttemptAgent, sendAttempt } from '../proxy/src/legacy/http-attempt.ts';
import { DEFAULT_ENDPOINT_POLICY } from '../proxy/src/legacy/policies.ts';
import { intEnv } from './env.ts';
import { median } from './percentile.ts';

/**
 * What one uncached legacy call from a migrated route costs, layer by layer, against a bare
 * `node:http` request on the same keep-alive agent: `sendAttempt` (the attempt), the endpoint's
 * resilience pipeline around it, and the bound caller a handler uses (request building, events,
 * the caller's signal). All in one process with a loopback server answering `{"count":3}`, so
 * each figure includes the server's share; only the ratios to the bare request in the same
 * round are read. Then the AbortSignal costs that shaped the pipeline (Node 20).
 *
 *   npx tsx bench/legacy-call-cost.ts        env: CALL_COST_CALLS (20000), CALL_COST_ROUNDS (5)
 */

const CALLS = intEnv('CALL_COST_CALLS', 20_000);
const ROUNDS = intEnv('CALL_COST_ROUNDS', 5);
const CONCURRENCY = 10;

async function main(): Promise<void> {
  const answer = JSON.stringify({ count: 3 });
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(answer) });
    res.end(answer);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  const log = pino({ level: 'silent' });
  const agent = createAttemptAgent(base, 4_000);
  const path = '/api/notifications/unread?userId=u1';
  const request = { method: 'GET', url: new URL(path, base), headers: { accept: 'application/json', authorization: 'Bearer dev-only', 'x-correlation-id': 'bench' } };
  const pipeline = createEndpointPipeline('bench:unread', 'unread', DEFAULT_ENDPOINT_POLICY, log);
  const client = await createLegacyClient({ baseUrl: base.href, log });

  const layers: Record<string, () => Promise<unknown>> = {
    'node:http': () =>
      new Promise<void>((resolve, reject) => {
        const outgoing = http.request(request.url, { method: 'GET', headers: request.headers, agent }, (res) => {
          res.on('data', () => {});
          res.once('end', resolve);
        });
        outgoing.once('error', reject);
        outgoing.end();
      }),
    sendAttempt: () => sendAttempt(agent, 'unread', request, 2_000, new AttemptAbort()),
    pipeline: () => pipeline.run({ send: (abort) => sendAttempt(agent, 'unread', request, 2_000, abort), retryable: true, log: () => log }),
    // As serve-migrated.ts binds it: per request, with the client-gone signal.
    'bound caller': () =>
      client
        .bind({ routeId: 'bench', correlationId: 'bench', credentials: { authorization: 'Bearer dev-only' }, userId: 'u1', signal: new AbortController().signal })
        .get(path, { endpoint: 'unread' }),
  };

  const perCall: Record<string, number[]> = Object.fromEntries(Object.keys(layers).map((name) => [name, []]));
  for (let round = 0; round <= ROUNDS; round++) {
    for (const [name, call] of Object.entries(layers)) {
      let left = CALLS;
      const before = process.cpuUsage();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (left-- > 0) await call();
        }),
      );
      const used = process.cpuUsage(before);
      if (round > 0) perCall[name]!.push((used.user + used.system) / CALLS); // round 0 warms up
    }
  }
  const bare = perCall['node:http']!;
  console.log(`one legacy call, ${CALLS} per layer and round, ${CONCURRENCY} at a time, ${ROUNDS} rounds (server included):`);
  for (const [name, figures] of Object.entries(perCall)) {
    const ratios = figures.map((us, i) => us / bare[i]!);
    console.log(`  ${name.padEnd(13)} median ${median(figures).toFixed(0).padStart(4)} us/call, ${median(ratios).toFixed(2)}x node:http`);
  }

  server.close();
  agent.destroy();
  await client.close();

  console.log('AbortSignal in this Node (per operation):');
  const keep: unknown[] = new Array(1_000);
  const noop = () => {};
  const ops: Record<string, (i: number) => void> = {
    'plain object': (i) => (keep[i % 1_000] = { over: false, i }),
    'new AbortController, signal read': (i) => (keep[i % 1_000] = new AbortController().signal),
    '... and a first listener': (i) => {
      const c = new AbortController();
      c.signal.addEventListener('abort', noop);
      keep[i % 1_000] = c;
    },
    '... and abort()': (i) => {
      const c = new AbortController();
      c.abort();
      keep[i % 1_000] = c;
    },
  };
  for (const [name, op] of Object.entries(ops)) {
    const n = 100_000;
    for (let i = 0; i < n; i++) op(i); // warm-up
    const before = process.cpuUsage();
    for (let i = 0; i < n; i++) op(i);
    const used = process.cpuUsage(before);
    console.log(`  ${name.padEnd(34)} ${(((used.user + used.system) / n) * 1000).toFixed(0).padStart(6)} ns`);
  }
}

void main();
