import http from 'node:http';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createRecorder } from './received.ts';
import { startLegacyStub } from './server.ts';

describe('startLegacyStub lifecycle', () => {
  it('close() ends open streams, keep-alive sockets and websockets, and frees the port', async () => {
    const stub = await startLegacyStub({ quiet: true });
    const ws = new WebSocket(`ws://127.0.0.1:${stub.port}/ws/echo`);
    await new Promise((resolve, reject) => ws.once('open', resolve).once('error', reject));
    const wsClosed = new Promise((resolve) => ws.once('close', resolve));

    const agent = new http.Agent({ keepAlive: true });
    await new Promise((resolve) => http.get({ host: '127.0.0.1', port: stub.port, path: '/health', agent }, (res) => res.resume().on('end', resolve)));
    const sseEnded = new Promise<void>((resolve) =>
      http.get({ host: '127.0.0.1', port: stub.port, path: '/api/stream/events?count=1000&intervalMs=1000', agent }, (res) => {
        res.resume();
        res.once('close', resolve);
      }),
    );
    await new Promise((r) => setTimeout(r, 50));

    await stub.close();
    await Promise.all([wsClosed, sseEnded]);
    await stub.close(); // a second close is harmless
    expect(stub.server.listening).toBe(false);
    agent.destroy();
  });
});

describe('received ring buffer', () => {
  it('keeps the newest entries only, newest last', () => {
    const recorder = createRecorder(3);
    for (let i = 1; i <= 5; i++)
      recorder.record({ method: 'GET', url: `/r/${i}`, rawHeaders: [] } as unknown as http.IncomingMessage);
    expect(recorder.received.map((r) => r.url)).toEqual(['/r/3', '/r/4', '/r/5']);
  });
});
