import http, { type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import jwt from 'jsonwebtoken';

/**
 * A small legacy API with conventions other than our stand-in's: HS256 tokens signed with a
 * shared secret, sent as `Authorization: Token <jwt>`, no `iss`/`aud`, the user id a number in
 * a claim `id`. It checks tokens the way such a codebase does (jsonwebtoken, HS256 only) and
 * answers the endpoints the dashboard route composes, plus `/api/echo/*`, which says what it
 * was sent and whom the token named. Every request is recorded.
 */
export interface Hs256LegacyApi {
  url: string;
  secret: string;
  /** A token as this API's own login would issue it. */
  issueToken(id: number, username: string): string;
  readonly requests: Array<{ method: string; url: string; headers: IncomingHttpHeaders }>;
  stop(): Promise<void>;
}

export interface EchoAnswer {
  url: string;
  authorization: string | null;
  cookie: string | null;
  /** The verified token's claims; null without a valid one. */
  user: jwt.JwtPayload | null;
}

export async function startHs256LegacyApi(secret: string): Promise<Hs256LegacyApi> {
  const requests: Hs256LegacyApi['requests'] = [];

  function caller(req: IncomingMessage): jwt.JwtPayload | null {
    const token = /^Token (\S+)$/.exec(req.headers.authorization ?? '')?.[1];
    if (!token) return null;
    try {
      return jwt.verify(token, secret, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    } catch {
      return null;
    }
  }

  const json = (res: ServerResponse, status: number, body: unknown) =>
    void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));

  const server = http.createServer((req, res) => {
    requests.push({ method: req.method!, url: req.url!, headers: req.headers });
    const user = caller(req);
    const { pathname } = new URL(req.url!, 'http://legacy');
    if (pathname.startsWith('/api/echo/')) {
      const answer: EchoAnswer = { url: req.url!, authorization: req.headers.authorization ?? null, cookie: req.headers.cookie ?? null, user };
      return json(res, 200, answer);
    }
    if (!user) return json(res, 401, { errors: { token: ['is missing or invalid'] } });
    const profile = /^\/api\/users\/(\d+)\/profile$/.exec(pathname);
    if (profile) {
      if (Number(profile[1]) !== user.id) return json(res, 403, { errors: { user: ['is not you'] } });
      return json(res, 200, { firstName: String(user.username), lastName: 'Conduit', organisationId: 'org-1', roleCode: 'TEACHER' });
    }
    if (pathname === '/api/notifications/unread') return json(res, 200, { count: 3 });
    if (pathname === '/api/courses') return json(res, 200, []);
    json(res, 404, { errors: { path: ['not found'] } });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    secret,
    issueToken: (id, username) => jwt.sign({ id, username }, secret, { algorithm: 'HS256', expiresIn: '1h' }),
    requests,
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
