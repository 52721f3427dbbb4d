import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface UnleashApiStub {
  /** The SDK's base URL: http://127.0.0.1:PORT/api */
  url: string;
  setFeatures(payload: unknown): void;
  /** Answers the features poll with this status (401, 403) from now on; null: the flags again. */
  refuse(status: number | null): void;
  /** Features polls received so far. */
  readonly polls: number;
  stop(): Promise<void>;
}

/**
 * The client API of an Unleash server, on a free loopback port: `GET /api/client/features`
 * serves the payload it is given, and every other client call (register, metrics) gets 202.
 * For the faults a real server gives only with effort on demand: refusing a valid token, and
 * taking it again.
 */
export async function startUnleashApiStub(initial: unknown): Promise<UnleashApiStub> {
  let features = initial;
  let refusing: number | null = null;
  let polls = 0;
  const server = http.createServer((req, res) => {
    req.resume();
    if (!req.url?.startsWith('/api/client/features')) return void res.writeHead(202).end();
    polls++;
    if (refusing !== null) return void res.writeHead(refusing, { 'content-type': 'application/json' }).end('{"message":"token refused"}');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(features));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    setFeatures: (payload) => void (features = payload),
    refuse: (status) => void (refusing = status),
    get polls() {
      return polls;
    },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
