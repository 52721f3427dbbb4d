import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { downloadBytes, startLegacyStub, type LegacyStub } from './server.ts';
import { eventually } from './test-client.ts';

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

/** A raw node:http request: the URL goes out byte for byte, and the body in the chunks given. */
function request(
  stub: LegacyStub,
  options: http.RequestOptions & { body?: Buffer[] },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: stub.port, agent: false, ...options }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    for (const chunk of options.body ?? []) req.write(chunk);
    req.end();
  });
}

describe('streaming, uploads, downloads and the other transports', () => {
  let stub: LegacyStub;

  beforeAll(async () => {
    stub = await startLegacyStub({ quiet: true });
  });
  afterAll(() => stub.close());

  it('hashes a streamed multi-megabyte upload', async () => {
    const chunks = Array.from({ length: 12 }, () => randomBytes(256 * 1024));
    const res = await request(stub, { method: 'POST', path: '/api/upload', body: chunks });
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString())).toEqual({ bytes: 3 * 1024 * 1024, sha256: sha256(Buffer.concat(chunks)) });
  });

  it('serves a deterministic download with content-length, and HEAD without the body', async () => {
    const n = 3 * 1024 * 1024 + 7;
    const res = await request(stub, { path: `/api/download?bytes=${n}` });
    expect(res.status).toBe(200);
    expect(res.headers['content-length']).toBe(String(n));
    expect(sha256(res.body)).toBe(sha256(downloadBytes(n)));
    expect([res.body[0], res.body[250], res.body[251], res.body[n - 1]]).toEqual([0, 250, 0, (n - 1) % 251]);

    const head = await request(stub, { method: 'HEAD', path: `/api/download?bytes=${n}` });
    expect(head.headers['content-length']).toBe(String(n));
    expect(head.body.length).toBe(0);
  });

  it('refuses an oversized upload with 413 before sending 100 Continue', async () => {
    const outcome = await new Promise<{ status: number; continued: boolean; body: string }>((resolve, reject) => {
      let continued = false;
      const req = http.request({
        host: '127.0.0.1',
        port: stub.port,
        method: 'POST',
        path: '/api/upload?max=1024',
        headers: { expect: '100-continue', 'content-length': String(10 * 1024 * 1024) },
      });
      req.on('continue', () => (continued = true));
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, continued, body }));
      });
      req.on('error', reject);
      req.flushHeaders(); // headers only: the body waits for a 100 that must never come
    });
    expect(outcome.continued).toBe(false);
    expect(outcome.status).toBe(413);
    expect(JSON.parse(outcome.body)).toMatchObject({ error: 'payload_too_large' });
  });

  it('sends 100 Continue to an upload within ?max= and then reads it', async () => {
    const body = randomBytes(2048);
    const outcome = await new Promise<{ status: number; json: any }>((resolve, reject) => {
      const req = http.request({
        host: '127.0.0.1',
        port: stub.port,
        method: 'POST',
        path: '/api/upload?max=4096',
        headers: { expect: '100-continue', 'content-length': String(body.length) },
      });
      req.on('continue', () => req.end(body));
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode!, json: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.flushHeaders();
    });
    expect(outcome).toEqual({ status: 200, json: { bytes: 2048, sha256: sha256(body) } });
  });

  it('echoes the raw URL byte for byte, the raw headers in order, and the body digest', async () => {
    const rawPath = '/api/echo/a%2Fb/../c//d?x=1&x=2&q=%zz&empty=';
    const body = Buffer.from('{"hello":"world"}');
    const res = await request(stub, {
      method: 'PATCH',
      path: rawPath,
      headers: { 'X-Custom-Case': 'Kept', 'content-length': String(body.length) },
      body: [body],
    });
    const echo = JSON.parse(res.body.toString());
    expect(echo).toMatchObject({ method: 'PATCH', url: rawPath, bodyBytes: body.length, bodySha256: sha256(body) });
    expect(echo.rawHeaders).toContain('X-Custom-Case');
    expect(echo.rawHeaders[echo.rawHeaders.indexOf('X-Custom-Case') + 1]).toBe('Kept');
  });

  it('streams chunked NDJSON without a content-length', async () => {
    const res = await request(stub, { path: '/api/stream/chunked?count=3&intervalMs=20' });
    expect(res.headers['transfer-encoding']).toBe('chunked');
    expect(res.headers['content-length']).toBeUndefined();
    const lines = res.body.toString().trim().split('\n').map((l) => JSON.parse(l));
    expect(lines.map((l) => l.chunk)).toEqual([1, 2, 3]);
  });

  it('emits server-sent events that arrive spaced out, not all at once', async () => {
    const res = await fetch(`${stub.url}/api/stream/events?count=3&intervalMs=250`);
    expect(res.headers.get('content-type')).toBe('text/event-stream');
    const arrivals: number[] = [];
    const decoder = new TextDecoder();
    let text = '';
    for await (const chunk of res.body!) {
      text += decoder.decode(chunk, { stream: true });
      while (arrivals.length < (text.match(/\n\n/g) ?? []).length) arrivals.push(performance.now());
    }
    const events = text.trim().split('\n\n');
    expect(events).toHaveLength(3);
    expect(events[2]).toMatch(/^id: 3\nevent: tick\ndata: \{"n":3,"of":3,/);
    // Sent 500 ms apart; a generous lower bound still tells spaced-out from bunched.
    expect(arrivals[2]! - arrivals[0]!).toBeGreaterThanOrEqual(300);
  });

  it('echoes WebSocket messages, text as text and binary as binary', async () => {
    const ws = new WebSocket(`${stub.url.replace('http', 'ws')}/ws/echo`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const next = () => new Promise<[Buffer, boolean]>((resolve) => ws.once('message', (d: Buffer, b) => resolve([d, b])));
    ws.send('hei');
    expect(await next()).toEqual([Buffer.from('hei'), false]);
    ws.send(Buffer.from([1, 2, 3]));
    expect(await next()).toEqual([Buffer.from([1, 2, 3]), true]);
    ws.close();
    await new Promise((resolve) => ws.once('close', resolve));
  });

  it('refuses a WebSocket upgrade on any other path', async () => {
    const ws = new WebSocket(`${stub.url.replace('http', 'ws')}/ws/nowhere`);
    const error = await new Promise<Error>((resolve) => ws.once('error', resolve));
    expect(error.message).toMatch(/404/);
  });

  it('records a request whose client went away as aborted, and never finishes it', async () => {
    const controller = new AbortController();
    const pending = fetch(`${stub.url}/api/slow?ms=5000&tag=abort-me`, { signal: controller.signal });
    await eventually(() => stub.received.some((r) => r.url.includes('tag=abort-me')));
    controller.abort();
    await expect(pending).rejects.toThrow();
    const entry = stub.received.find((r) => r.url.includes('tag=abort-me'))!;
    await eventually(() => entry.aborted);
    expect(entry.finished).toBe(false);

    const done = await fetch(`${stub.url}/api/slow?ms=10&tag=complete`);
    expect(await done.json()).toEqual({ waitedMs: 10 });
    await eventually(() => stub.received.find((r) => r.url.includes('tag=complete'))!.finished);
    expect(stub.received.find((r) => r.url.includes('tag=complete'))!.aborted).toBe(false);
  });
});
