import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { freePort } from '../test-support/free-port.ts';
import { fetchSnapshot, StatusCliError } from './lib-status/fetch-snapshot.ts';
import { formatLiveStatus } from './lib-status/live-table.ts';
import { runScript } from './lib-status/run-script.ts';
import { snapshotFixture } from './lib-status/snapshot-fixture.ts';

const SCRIPT = 'scripts/status-cli.ts';
const TOKEN = 'status-token-for-tests-0123456789abcdef';

describe('the live table', () => {
  const text = formatLiveStatus(snapshotFixture, 'http://localhost:8080');
  const line = (start: string) => text.split('\n').find((l) => l.trimStart().startsWith(start));

  it('has one row per route: state, traffic, 5xx and p95 per side, shadow match rate, owner', () => {
    expect(line('dashboard')).toMatch(/GET \/api\/dashboard\s+shadow\s+1,204 \/ 0\s+3 \(0\.2%\) \/ 0\s+41 ms \/ –\s+99\.7% of 1,180\s+Course team$/);
    expect(line('course-detail')).toMatch(/GET \/api\/courses\/:id\s+canary 25%\s+300 \/ 100\s+0 \/ 2 \(2\.0%\)\s+31 ms \/ 61 ms\s+–\s+Catalogue team$/);
    expect(text).toContain('Routes, last hour.');
  });

  it('shows the legacy API health and the top 10 unmigrated endpoints, busiest first', () => {
    expect(text).toContain('Legacy API: Reachable (4 ms); all 6 circuits closed on this instance.');
    expect(text).toContain('top 10 of 12 endpoints');
    expect(line('1,000')).toMatch(/GET \/api\/home\s+2027-01-10 09:29 UTC\s+dashboard$/);
    expect(line('550')).toContain('GET /api/endpoint-09');
    expect(text).not.toContain('endpoint-10');
    expect(text).toContain('it is still needed.');
    expect(text).toContain('Auth window: No cutoff is set');
  });

  it('names a route the canary guard rolled back, and why', () => {
    expect(line('enrollments')).toMatch(/POST \/api\/enrollments\s+rolled back from canary 50%\s+140 \/ 60/);
    expect(text).toContain(
      '  enrollments: rolled back automatically at 09:02 UTC: 5xx 25% against legacy 0% over 120 requests (60 on the new route); its recovery cannot be seen: POST requests are never shadowed.',
    );
    expect(line('course-detail')).not.toContain('rolled back');
  });

  it('shows what the resilience policies did per legacy endpoint', () => {
    expect(text).toContain('Legacy endpoints called by migrated routes (the answering instance, since it started):');
    expect(line('dashboard:users.profile')).toMatch(/^  dashboard:users\.profile\s+40\s+19 \(bulkhead-rejected 19\)\s+120 ms\s+3\s+closed\s+19\s+20% of 50$/);
  });

  it('reads another window when asked', () => {
    const day = formatLiveStatus(snapshotFixture, 'http://localhost:8080', 'day');
    expect(day).toContain('Routes, last 24 hours.');
    expect(day).toMatch(/dashboard .*20,000 \/ 0/);
  });
});

describe('talking to the proxy', () => {
  let server: http.Server;
  let url: string;

  beforeAll(async () => {
    // Stands in for the proxy's status API: answers by the token it is sent.
    server = http.createServer((req, res) => {
      const auth = req.headers.authorization;
      const reply = (status: number, type: string, body: string) => res.writeHead(status, { 'content-type': type }).end(body);
      if (req.url !== '/_proxy/status/api') return reply(404, 'application/problem+json', JSON.stringify({ title: 'Not Found', status: 404 }));
      if (auth === undefined) return reply(401, 'application/problem+json', JSON.stringify({ title: 'Unauthorized', status: 401 }));
      if (auth === `Bearer ${TOKEN}`) return reply(200, 'application/json', JSON.stringify(snapshotFixture));
      if (auth === 'Bearer forbidden') return reply(403, 'application/problem+json', JSON.stringify({ title: 'Forbidden', status: 403 }));
      if (auth === 'Bearer html') return reply(200, 'text/html', '<!doctype html><title>sign in</title>');
      if (auth === 'Bearer old-proxy') return reply(200, 'application/json', JSON.stringify({ ...snapshotFixture, routes: [{ id: 'dashboard' }] }));
      if (auth === 'Bearer broken') return reply(500, 'application/problem+json', JSON.stringify({ title: 'Internal Server Error', status: 500, detail: 'Something went wrong in the proxy.' }));
      return reply(401, 'application/problem+json', JSON.stringify({ title: 'Unauthorized', status: 401 }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const failure = async (token: string | undefined, prefix = '/_proxy') => {
    const err = await fetchSnapshot({ baseUrl: url, prefix, token }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(StatusCliError);
    return (err as Error).message;
  };

  it('prints the table with the token sent as a bearer', async () => {
    const run = await runScript(SCRIPT, [], { STATUS_URL: url, STATUS_TOKEN: TOKEN });
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`Migration status from ${url}`);
    expect(run.stdout).toMatch(/dashboard\s+GET \/api\/dashboard\s+shadow/);
  });

  it('names STATUS_TOKEN when it is missing or refused, and never prints it', async () => {
    const missing = await runScript(SCRIPT, [], { STATUS_URL: url });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('needs a token (401): set STATUS_TOKEN');

    const wrong = await runScript(SCRIPT, [], { STATUS_URL: url, STATUS_TOKEN: 'not-the-token-but-long-enough-to-look-real' });
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toContain('did not accept STATUS_TOKEN (401)');
    expect(wrong.stderr).not.toContain('not-the-token');

    expect(await failure('forbidden')).toContain('(403): STATUS_TOKEN is not allowed');
  });

  it('says the proxy is not reachable, naming the address and STATUS_URL', async () => {
    const nobody = `http://127.0.0.1:${await freePort()}`;
    const run = await runScript(SCRIPT, [], { STATUS_URL: nobody, STATUS_TOKEN: TOKEN });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(`Cannot reach the proxy at ${nobody} (connection refused)`);
    expect(run.stderr).toContain('STATUS_URL');
  });

  it('explains an answer that is not the status snapshot: wrong prefix, HTML, another shape, a 5xx', async () => {
    expect(await failure(TOKEN, '/_other')).toMatch(/No status API at .*\/_other\/status\/api \(404\).*RESERVED_PREFIX/);
    expect(await failure('html')).toContain('not with JSON (text/html)');
    expect(await failure('old-proxy')).toMatch(/not what this script reads: routes\[0\]\.method: .*same version/);
    expect(await failure('broken')).toContain('answered 500: Something went wrong in the proxy.');
  });

  it('refuses an unknown window', async () => {
    const run = await runScript(SCRIPT, ['--window', 'month'], { STATUS_URL: url, STATUS_TOKEN: TOKEN });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--window must be one of hour, day, week');
  });
});
