import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import http from 'node:http';
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { WebSocket } from 'ws';
import { until } from '../test-support/until.ts';
import { startLegacyStub, downloadChunks, type LegacyStub } from '../legacy-stub/src/server.ts';
import { startProxyProcess, runProxyToExit, type ProxyProcess } from '../test-support/proxy-process.ts';

/** The proxy as a real process: flat memory under big bodies, graceful shutdown, config errors. */
let legacy: LegacyStub;
let proxy: ProxyProcess;
const MB = 1024 * 1024;

beforeAll(async () => {
  legacy = await startLegacyStub({ quiet: true });
  proxy = await startProxyProcess({ LEGACY_URL: legacy.url, LEGACY_TIMEOUT_MS: '60000' });
});
afterAll(async () => {
  await proxy?.stop();
  await legacy?.close();
});

/** 200 MB of deterministic bytes, produced 64 KiB at a time, hashed as they go. */
function generated(total: number): { stream: Readable; sha256: () => string } {
  const hash = createHash('sha256');
  let sent = 0;
  const block = Buffer.alloc(64 * 1024);
  const stream = new Readable({
    read() {
      if (sent >= total) return void this.push(null);
      const n = Math.min(block.length, total - sent);
      for (let i = 0; i < n; i += 4) block.writeUInt32LE((sent + i) >>> 0, i);
      const chunk = Buffer.from(block.subarray(0, n));
      hash.update(chunk);
      sent += n;
      this.push(chunk);
    },
  });
  return { stream, sha256: () => hash.digest('hex') };
}

describe('big bodies stream through, never buffered whole', () => {
  it('a 200 MB upload arrives with the same sha256 while the proxy stays flat', async () => {
    const before = proxy.peakRss();
    const body = generated(200 * MB);
    const result = await new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = http.request(
        { port: proxy.port, method: 'POST', path: '/api/upload', agent: false, headers: { 'content-type': 'application/octet-stream', 'content-length': 200 * MB } },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode!, body: text }));
        },
      );
      req.on('error', reject);
      body.stream.pipe(req);
    });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toMatchObject({ bytes: 200 * MB, sha256: body.sha256() });
    // Buffering would cost at least 200 MB; streaming costs a few socket buffers.
    // Buffering would cost the whole 200 MB; Node 24's streams keep more in flight than 20's (66-70 MB seen).
    expect(proxy.peakRss() - before).toBeLessThan(128 * MB);
  });

  it('a 200 MB download arrives intact while the proxy stays flat', async () => {
    const before = proxy.peakRss();
    const size = 200 * MB;
    const hash = createHash('sha256');
    let bytes = 0;
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get({ port: proxy.port, path: `/api/download?bytes=${size}`, agent: false }, (res) => {
          res.on('data', (d: Buffer) => {
            hash.update(d);
            bytes += d.length;
          });
          res.on('end', () => resolve(res.statusCode!));
        })
        .on('error', reject);
    });
    expect(status).toBe(200);
    expect(bytes).toBe(size);
    const expected = createHash('sha256');
    for (const chunk of downloadChunks(size)) expected.update(chunk);
    expect(hash.digest('hex')).toBe(expected.digest('hex'));
    expect(proxy.peakRss() - before).toBeLessThan(64 * MB);
  });
});

/** One GET on its own connection: the status and Connection of the answer, or the error code. */
function answer(port: number, path: string): Promise<{ status?: number; connection?: string; error?: string }> {
  return new Promise((resolve) => {
    http
      .get({ port, path, agent: false }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode!, connection: res.headers.connection }));
      })
      .on('error', (e: NodeJS.ErrnoException) => resolve({ error: e.code ?? 'error' }));
  });
}

describe('graceful shutdown behind a load balancer', () => {
  it('on SIGTERM: readiness turns 503 at once, requests are still served through the drain, then refused; the in-flight one finishes; exit 0', async () => {
    const own = await startProxyProcess({ LEGACY_URL: legacy.url, DRAIN_DELAY_MS: '4000', SHUTDOWN_GRACE_MS: '8000' });
    try {
      expect(await answer(own.port, '/_proxy/health/ready')).toMatchObject({ status: 200 });
      // Spans the drain: it must still get its whole answer.
      const inFlight = answer(own.port, '/api/slow?ms=5000');
      await until(() => legacy.received.some((r) => r.url === '/api/slow?ms=5000'), 10_000);
      own.child.kill('SIGTERM');
      await until(async () => (await answer(own.port, '/_proxy/health/ready')).status === 503, 10_000);
      // A load balancer that has not noticed yet still gets served, and told to reconnect elsewhere.
      expect(await answer(own.port, '/api/echo/during-drain')).toEqual({ status: 200, connection: 'close' });
      await until(async () => (await answer(own.port, '/api/echo/after-drain')).error === 'ECONNREFUSED', 15_000);
      expect(await inFlight).toMatchObject({ status: 200 });
      expect((await own.exited).code).toBe(0);
      // Log lines are gathered before they are written: the last request's line is not lost at exit.
      expect(own.output()).toMatch(/"url":"\/api\/slow\?ms=5000"[^\n]*"msg":"GET catch-all 200"/);
    } finally {
      await own.stop();
    }
  });

  it('closes a keep-alive connection once its answer is out, not at the grace limit', async () => {
    const own = await startProxyProcess({ LEGACY_URL: legacy.url, DRAIN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: '20000' });
    const agent = new http.Agent({ keepAlive: true });
    try {
      let answered = 0;
      const socketClosed = new Promise<number>((resolve, reject) => {
        http.get({ port: own.port, path: '/api/slow?ms=500', agent }, (res) => {
          res.resume();
          res.on('end', () => (answered = Date.now()));
          res.socket.once('close', () => resolve(Date.now()));
        }).on('error', reject);
      });
      await new Promise((r) => setTimeout(r, 200));
      own.child.kill('SIGTERM');
      // Closed right after the answer, where Node alone would keep it for its 5 s keep-alive
      // timeout and the grace limit is 20 s.
      expect((await socketClosed) - answered).toBeLessThan(2_500);
      expect(answered).toBeGreaterThan(0);
      expect((await own.exited).code).toBe(0);
    } finally {
      agent.destroy();
      await own.stop();
    }
  });

  it('closes a WebSocket still open at the grace limit, then exits 0', async () => {
    const own = await startProxyProcess({ LEGACY_URL: legacy.url, DRAIN_DELAY_MS: '0', SHUTDOWN_GRACE_MS: '1000' });
    try {
      const ws = new WebSocket(`ws://127.0.0.1:${own.port}/ws/echo`);
      await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
      const closed = new Promise<number>((resolve) => ws.once('close', resolve));
      const signalled = Date.now();
      own.child.kill('SIGTERM');
      await closed; // the proxy cut it: the legacy stand-in would have kept it open
      expect(Date.now() - signalled).toBeGreaterThanOrEqual(900); // not before the grace limit
      expect((await own.exited).code).toBe(0);
    } finally {
      await own.stop(); // by its pid, if a failure above left it running
    }
  });
});

describe('request log', () => {
  it('writes one line per request to stdout while the proxy runs', async () => {
    await new Promise<void>((resolve, reject) => {
      http.get({ port: proxy.port, path: '/api/echo/logged', agent: false, headers: { 'X-Correlation-Id': 'stdout-line-1' } }, (res) => {
        res.resume();
        res.on('end', resolve);
      }).on('error', reject);
    });
    const deadline = Date.now() + 2_000;
    while (!proxy.output().includes('"correlationId":"stdout-line-1"') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const line = proxy.output().split('\n').find((l) => l.includes('"correlationId":"stdout-line-1"'));
    expect(JSON.parse(line!)).toMatchObject({ req: { method: 'GET', url: '/api/echo/logged' }, res: { statusCode: 200 }, route: 'catch-all', servedBy: 'legacy' });
  });
});

describe('configuration is checked at start-up', () => {
  it('a wrong value names the variable and exits 1', async () => {
    const r = await runProxyToExit({ PORT: 'eighty', LEGACY_URL: 'ftp://legacy' });
    expect(r.code).toBe(1);
    expect(r.output).toContain('PORT="eighty"');
    expect(r.output).toContain('LEGACY_URL="ftp://legacy"');
    expect(r.output).not.toMatch(/\n\s+at /); // a sentence, not a stack trace
  });
});
