import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/free-port.ts';
import { createFlags, type Flags } from './index.ts';
import { until } from '../../../test-support/until.ts';
import { startUnleashApiStub } from '../../../test-support/unleash-api-stub.ts';

const silent = pino({ level: 'silent' });
const REFRESH_MS = 200;

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

async function listen(handler: http.RequestListener, port = 0): Promise<{ server: http.Server; url: string }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const stop = () => {
    server.closeAllConnections();
    return new Promise((resolve) => server.close(resolve));
  };
  cleanup.push(() => server.listening && stop());
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api` };
}

async function start(url: string, extra: { startupWaitMs?: number; token?: string } = {}, log = silent): Promise<Flags> {
  const flags = await createFlags({ mode: 'unleash', url, appName: 'flags-test', refreshMs: REFRESH_MS, ...extra }, log);
  cleanup.push(() => flags.close());
  return flags;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function payload(rollout: number, shadow: boolean) {
  return {
    version: 2,
    features: [
      {
        name: 'route.dashboard',
        enabled: true,
        strategies: [{ name: 'flexibleRollout', parameters: { rollout: String(rollout), stickiness: 'default', groupId: 'route.dashboard' }, constraints: [] }],
      },
      { name: 'route.dashboard.shadow', enabled: shadow, strategies: [{ name: 'default', parameters: {}, constraints: [] }] },
    ],
  };
}

const ctx = { userId: 'u-1', sessionId: 's-1' };

describe('unleash flags', () => {
  it('goes on after the bounded wait, all legacy, when nothing listens at the Unleash address', async () => {
    const port = await freePort();
    const startedAt = Date.now();
    const flags = await start(`http://127.0.0.1:${port}/api`, { startupWaitMs: 300 });
    expect(Date.now() - startedAt).toBeLessThan(2_300);
    expect(flags.source).toBe('unleash');
    expect(flags.decide('route.dashboard', ctx)).toBe('legacy');
    expect(flags.state('route.dashboard')).toMatchObject({ exists: false, rollout: 0, lastChangedAt: null });
  });

  it('picks the flags up once an Unleash that was down at start-up answers', async () => {
    const port = await freePort();
    const flags = await start(`http://127.0.0.1:${port}/api`, { startupWaitMs: 300 });
    expect(flags.decide('route.dashboard', ctx)).toBe('legacy');

    await listen((req, res) => {
      req.resume();
      if (req.url?.startsWith('/api/client/features')) res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(payload(100, false)));
      else res.writeHead(202).end();
    }, port);
    await until(() => flags.decide('route.dashboard', ctx) === 'migrated', 10_000);
  });

  it('goes on after the bounded wait when Unleash accepts but never answers, and closes cleanly meanwhile', async () => {
    const held: http.ServerResponse[] = [];
    const { url } = await listen((req, res) => {
      if (req.url?.startsWith('/api/client/features')) held.push(res);
      else res.writeHead(202).end();
    });
    const startedAt = Date.now();
    const flags = await start(url, { startupWaitMs: 300 });
    expect(Date.now() - startedAt).toBeLessThan(2_300);
    expect(flags.decide('route.dashboard', ctx)).toBe('legacy');

    // unleash-client turns a late answer into an 'error' event on a client already destroyed;
    // unhandled, that would kill the process (vitest fails the run on it).
    await flags.close();
    await until(() => held.length > 0);
    held[0]!.writeHead(418).end();
    await sleep(200);
  });

  it('follows the server, sends the token, and keeps the last known flags when the server goes away', async () => {
    let features = payload(100, false);
    const authorizations: Array<string | undefined> = [];
    const { server, url } = await listen((req, res) => {
      if (req.url?.startsWith('/api/client/features')) {
        authorizations.push(req.headers.authorization);
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(features));
      } else {
        req.resume();
        res.writeHead(202).end();
      }
    });
    const problems: string[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void problems.push(JSON.parse(line).msg) });
    const flags = await start(url, { token: 'test-client-token' }, log);

    expect(flags.decide('route.dashboard', ctx)).toBe('migrated');
    expect(authorizations[0]).toBe('test-client-token');
    expect(flags.state('route.dashboard')).toMatchObject({ exists: true, enabled: true, rollout: 100, shadow: false });

    features = payload(0, true);
    await until(() => flags.decide('route.dashboard', ctx) === 'shadow');
    expect(flags.state('route.dashboard')).toMatchObject({ rollout: 0, shadow: true });

    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    // The poller has noticed (it logs the failure), and keeps trying every refresh interval.
    await until(() => problems.some((m) => m.startsWith('Unleash: ')), 10_000);
    await sleep(3 * REFRESH_MS);
    expect(flags.decide('route.dashboard', ctx)).toBe('shadow');
    expect(flags.decide('route.dashboard', { sessionId: 'someone-else' })).toBe('shadow');
    expect(flags.state('route.dashboard')).toMatchObject({ exists: true, rollout: 0, shadow: true });
  });

  it.each([401, 403])('asks again after Unleash refuses the token (%i), keeps the last known flags meanwhile, and follows the server once it takes the token', async (status) => {
    const stub = await startUnleashApiStub(payload(100, false));
    cleanup.push(() => stub.stop());
    const lines: Array<{ level: number; msg: string }> = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const flags = await start(stub.url, { token: 'rotated-token' }, log);
    expect(flags.decide('route.dashboard', ctx)).toBe('migrated');

    stub.refuse(status);
    await until(() => lines.some((l) => l.level === 40 && l.msg.startsWith(`Unleash refused the token (${status})`)), 5_000);
    // unleash-client on its own polls no more after a refusal; this keeps asking.
    const refusedAt = stub.polls;
    await until(() => stub.polls >= refusedAt + 2, 5_000);
    expect(flags.decide('route.dashboard', ctx)).toBe('migrated');
    expect(lines.filter((l) => l.msg.includes('refused the token'))).toHaveLength(1); // once per change of state
    expect(lines.filter((l) => l.level >= 50)).toEqual([]);

    stub.setFeatures(payload(0, true));
    stub.refuse(null);
    await until(() => flags.decide('route.dashboard', ctx) === 'shadow', 10_000);
    expect(lines.filter((l) => l.msg === 'Unleash answers again')).toHaveLength(1);
    // Polling carries on by itself.
    const answeredAt = stub.polls;
    await until(() => stub.polls >= answeredAt + 2, 5_000);
  });
});
