import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it, expect, afterEach } from 'vitest';
import { answerState, runOpenLoop } from './generator.ts';

let server: http.Server | undefined;

async function serve(handler: http.RequestListener): Promise<string> {
  server = http.createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

afterEach(async () => {
  const s = server;
  server = undefined;
  if (!s) return;
  s.closeAllConnections();
  await new Promise((resolve) => s.close(resolve));
});

describe('runOpenLoop', () => {
  it('sends every scheduled request at the given rate and reads each answer', async () => {
    let received = 0;
    const url = await serve((_req, res) => {
      received++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
    const r = await runOpenLoop({ url: `${url}/x`, rate: 200, seconds: 1, warmupSeconds: 0.2 });
    expect(r.scheduled).toBe(200);
    expect(r.completed).toBe(200);
    expect(received).toBe(240); // warm-up requests are sent, just not recorded
    expect(r.errors + r.unfinished + r.non2xx).toBe(0);
    expect(r.p50).toBeLessThan(r.max + 0.001);
  });

  it('counts a stall against every request that was due during it (no coordinated omission)', async () => {
    let first = true;
    const url = await serve((_req, res) => {
      const delay = first ? 300 : 0;
      first = false;
      setTimeout(() => res.end('{}'), delay);
    });
    // One connection: the 300 ms stall holds back the ~30 requests due meanwhile. Timed from their
    // scheduled send, they waited up to 300 ms; timed from when they were actually sent, they did not.
    const r = await runOpenLoop({ url, rate: 100, seconds: 1, maxConnections: 1 });
    expect(r.completed).toBe(100);
    expect(r.max).toBeGreaterThanOrEqual(290);
    expect(r.p90).toBeGreaterThan(100);
  });

  it('reports error answers and chunked bodies as the server sent them', async () => {
    const url = await serve((_req, res) => {
      res.writeHead(404, { 'content-type': 'application/json' }); // no length: chunked
      res.write('{"error":');
      res.end('"not_found"}');
    });
    const r = await runOpenLoop({ url, rate: 100, seconds: 0.5 });
    expect(r.completed).toBe(50);
    expect(r.non2xx).toBe(50);
    expect(r.unfinished).toBe(0);
  });
});

describe('answerState', () => {
  const head = (fields: string) => `HTTP/1.1 200 OK\r\n${fields}\r\n`;
  it('tells a whole answer from a partial one by its framing', () => {
    expect(answerState(Buffer.from(head('Content-Length: 4\r\n') + '{}'))).toBe('partial');
    expect(answerState(Buffer.from(head('Content-Length: 4\r\n') + '{"a"'))).toBe('complete');
    expect(answerState(Buffer.from(head('Transfer-Encoding: chunked\r\n') + '2\r\n{}\r\n'))).toBe('partial');
    expect(answerState(Buffer.from(head('Transfer-Encoding: chunked\r\n') + '2\r\n{}\r\n0\r\n\r\n'))).toBe('complete');
    expect(answerState(Buffer.from(head('Connection: close\r\n') + '{}'))).toBe('until-close');
    expect(answerState(Buffer.from('HTTP/1.1 204 No Content\r\n\r\n'))).toBe('complete');
    expect(answerState(Buffer.from('HTTP/1.1 200 OK\r\nContent-Le'))).toBe('partial');
  });
});
