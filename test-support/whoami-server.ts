import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A legacy "who am I" endpoint for opaque tokens, on a loopback port: `GET /api/user` with
 * `Authorization: Token <token>` (or a `session` cookie) answers what `answers` says for that
 * token. A token with no answer gets 401. `hold(token)` keeps that token's calls waiting
 * until released, to see calls overlap or time out. Any other path is 404. Every request is recorded.
 */
export interface WhoAmIServer {
  url: string;
  port: number;
  /** Status and JSON body per token; change them at will. */
  answers: Map<string, { status: number; body?: unknown; raw?: string }>;
  /** Every request, in order. */
  readonly calls: Array<{ url: string; token: string | undefined; headers: IncomingHttpHeaders }>;
  /** How many "who am I" calls came with this token. */
  callsFor(token: string): number;
  hold(token: string): void;
  release(token: string): void;
  stop(): Promise<void>;
}

export async function startWhoAmIServer(): Promise<WhoAmIServer> {
  const answers = new Map<string, { status: number; body?: unknown; raw?: string }>();
  const calls: WhoAmIServer['calls'] = [];
  const held = new Map<string, ServerResponse[]>();

  function answer(res: ServerResponse, token: string | undefined): void {
    const a = (token && answers.get(token)) || { status: 401, body: { errors: { token: ['is invalid'] } } };
    res.writeHead(a.status, { 'content-type': 'application/json' }).end(a.raw ?? (a.body === undefined ? '' : JSON.stringify(a.body)));
  }

  const server = http.createServer((req, res) => {
    const auth = /^Token (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    const cookie = /(?:^|;\s*)session=([^;]+)/.exec(req.headers.cookie ?? '')?.[1];
    const token = auth ?? cookie;
    calls.push({ url: req.url!, token, headers: req.headers });
    if (req.url !== '/api/user') return void res.writeHead(404).end();
    const waiting = token === undefined ? undefined : held.get(token);
    if (waiting) waiting.push(res);
    else answer(res, token);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/api/user`,
    port,
    answers,
    calls,
    callsFor: (token) => calls.filter((c) => c.url === '/api/user' && c.token === token).length,
    hold: (token) => void held.set(token, []),
    release(token) {
      const waiting = held.get(token) ?? [];
      held.delete(token);
      for (const res of waiting) if (!res.destroyed) answer(res, token);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
