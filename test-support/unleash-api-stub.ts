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
  /** Usage counted per flag in the metrics the clients sent (`bucket.toggles`), summed over every send. */
  usage(flag: string): { yes: number; no: number };
  stop(): Promise<void>;
}

/**
 * The client API of an Unleash server, on a free loopback port: `GET /api/client/features`
 * serves the payload it is given, `POST /api/client/metrics` is summed up per flag, and every
 * other client call (register) gets 202.
 * For the faults a real server gives only with effort on demand: refusing a valid token, and
 * taking it again.
 */
export async function startUnleashApiStub(initial: unknown): Promise<UnleashApiStub> {
  let features = initial;
  let refusing: number | null = null;
  let polls = 0;
  const usage = new Map<string, { yes: number; no: number }>();
  const server = http.createServer((req, res) => {
    if (req.method === 'POST' && req.url?.startsWith('/api/client/metrics')) {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const sent = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { bucket?: { toggles?: Record<string, { yes?: number; no?: number }> } };
        for (const [flag, counts] of Object.entries(sent.bucket?.toggles ?? {})) {
          const sum = usage.get(flag) ?? { yes: 0, no: 0 };
          usage.set(flag, { yes: sum.yes + (counts.yes ?? 0), no: sum.no + (counts.no ?? 0) });
        }
        res.writeHead(202).end();
      });
      return;
    }
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
    usage: (flag) => usage.get(flag) ?? { yes: 0, no: 0 },
    stop() {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
