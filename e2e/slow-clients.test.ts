import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { randomUUID } from 'node:crypto';
import { startStack, type Stack } from '../test-support/stack.ts';
import { trickle, type TrickledAnswer } from '../test-support/slow-client.ts';
import { sendUpload, sha256Of, uploadBlock, uploadBody } from '../test-support/uploads.ts';
import { until } from '../test-support/until.ts';

/**
 * Slow clients against a small legacy pool (8 sockets), over loopback to the real stand-in:
 * uploads that stop or trickle are ended with a 408 and their legacy requests aborted, so
 * everyone else is still served; one client cannot take more than its share of the pool.
 */

const uploadHead = (path: string, length: number) =>
  `POST ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: ${length}\r\n\r\n`;

const receivedAt = (stack: Stack, path: string) => stack.legacy.received.filter((r) => r.url === path);

function expectProblem(answer: TrickledAnswer, status: number, detail: RegExp): void {
  expect(answer.status).toBe(status);
  expect(answer.headers['content-type']).toBe('application/problem+json');
  const body = JSON.parse(answer.body) as { status: number; detail: string; correlationId: string };
  expect(body.status).toBe(status);
  expect(body.detail).toMatch(detail);
  expect(body.correlationId).toBe(answer.headers['x-correlation-id']);
}

describe('a body that stops arriving (REQUEST_BODY_IDLE_MS=300, 8 legacy sockets)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { LEGACY_MAX_SOCKETS: '8', LEGACY_MAX_SOCKETS_PER_CLIENT: '8', REQUEST_BODY_IDLE_MS: '300', REQUEST_BODY_MIN_BYTES_PER_S: '0', REQUEST_HEAD_TIMEOUT_MS: '300' },
      legacy: { faultHeaders: true },
    });
  });
  afterAll(() => stack?.stop());

  it('ends uploads that hold every legacy socket with a 408, aborts them at the legacy API, and serves everyone else', async () => {
    const path = `/api/upload?case=idle-${randomUUID()}`;
    const slow = Array.from({ length: 8 }, () => trickle({ port: stack.proxyPort, first: `${uploadHead(path, 1_000_000)}x` }));
    await until(() => receivedAt(stack, path).length === 8); // every legacy socket is held by one of them

    const normal = await trickle({ port: stack.proxyPort, localAddress: '127.0.0.2', first: 'GET /api/echo/meanwhile HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n' }).answer;
    expect(normal.status).toBe(200);

    for (const answer of await Promise.all(slow.map((s) => s.answer))) {
      expectProblem(answer, 408, /stopped arriving/);
      expect(answer.headers.connection).toBe('close');
    }
    await until(() => receivedAt(stack, path).every((r) => r.aborted));
    expect(receivedAt(stack, path).some((r) => r.finished)).toBe(false);
  });

  it('does not blame the client while the legacy API is the one not reading', async () => {
    // The stand-in waits 1.5 s before it reads the body: the proxy stops reading too (backpressure).
    const body = uploadBody(uploadBlock(), 1, 32 * 1024 * 1024);
    const result = await sendUpload({ port: stack.proxyPort, body, headers: { 'x-fault-latency-ms': '1500' } });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ bytes: body.bytes, sha256: sha256Of(body) });
  });

  it('answers a request head that trickles in with a 408, and never forwards it', async () => {
    const path = `/api/echo/slow-head-${randomUUID()}`;
    const answer = await trickle({ port: stack.proxyPort, drip: `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: */*\r\n\r\n`, everyMs: 20 }).answer;
    expectProblem(answer, 408, /head did not arrive in time/);
    expect(answer.headers.connection).toBe('close');
    expect(receivedAt(stack, path)).toHaveLength(0);
  });
});

describe('a body that trickles too slowly (REQUEST_BODY_MIN_BYTES_PER_S=1000 after 300 ms)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      env: { LEGACY_MAX_SOCKETS: '8', LEGACY_MAX_SOCKETS_PER_CLIENT: '8', REQUEST_BODY_MIN_BYTES_PER_S: '1000', REQUEST_BODY_GRACE_MS: '300' },
    });
  });
  afterAll(() => stack?.stop());

  it('ends uploads sending a byte every 50 ms, never idle, and aborts them at the legacy API', async () => {
    const path = `/api/upload?case=slow-${randomUUID()}`;
    const slow = Array.from({ length: 8 }, () => trickle({ port: stack.proxyPort, first: uploadHead(path, 10_000), drip: 'x'.repeat(10_000), everyMs: 50 }));
    for (const answer of await Promise.all(slow.map((s) => s.answer))) expectProblem(answer, 408, /too slowly: \d+ bytes\/s, at least 1000 needed/);
    await until(() => receivedAt(stack, path).length === 8 && receivedAt(stack, path).every((r) => r.aborted));
  });

  it('lets a body that arrives at speed through', async () => {
    const body = uploadBody(uploadBlock(), 2, 256 * 1024);
    const result = await sendUpload({ port: stack.proxyPort, body });
    expect(result.status).toBe(200);
    expect(JSON.parse(result.body)).toEqual({ bytes: body.bytes, sha256: sha256Of(body) });
  });
});

describe("each client's share of the legacy pool (LEGACY_MAX_SOCKETS_PER_CLIENT=2)", () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ env: { LEGACY_MAX_SOCKETS: '8', LEGACY_MAX_SOCKETS_PER_CLIENT: '2' } });
  });
  afterAll(() => stack?.stop());

  const getFrom = (localAddress: string, path: string) =>
    trickle({ port: stack.proxyPort, localAddress, first: `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n` }).answer;

  it("refuses a client's requests beyond its share at once with a 429, while another client is served", async () => {
    const path = `/api/upload?case=share-${randomUUID()}`;
    const held = [0, 1].map(() => trickle({ port: stack.proxyPort, localAddress: '127.0.0.1', first: `${uploadHead(path, 1_000_000)}x` }));
    await until(() => receivedAt(stack, path).length === 2);

    const extraUpload = await trickle({ port: stack.proxyPort, localAddress: '127.0.0.1', first: `${uploadHead(path, 1_000_000)}x` }).answer;
    expectProblem(extraUpload, 429, /at most 2/);
    expect(extraUpload.headers['retry-after']).toBe('1');
    expect(extraUpload.headers.connection).toBe('close'); // its unread body is not read to the end
    const extraGet = await getFrom('127.0.0.1', '/api/echo/a');
    expectProblem(extraGet, 429, /at most 2/);
    expect(receivedAt(stack, path)).toHaveLength(2);

    const other = await getFrom('127.0.0.2', '/api/echo/b');
    expect(other.status).toBe(200);

    // The share comes back as the held requests end.
    for (const h of held) h.close();
    await until(async () => (await getFrom('127.0.0.1', '/api/echo/a')).status === 200);
    await until(() => receivedAt(stack, path).every((r) => r.aborted));
  });
});
