import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ResolveCaller } from './resolve-caller.ts';
import type { Sessions } from './sessions/sessions.ts';

/**
 * Test support shaped like the proxy's dispatcher: `/auth/*` goes to a small Express app
 * (sign-in, sign-out), everything else stays on the raw node:http path and only asks the
 * resolver who is calling, as pass-through traffic does.
 */
export interface TestApp {
  base: string;
  stop(): Promise<void>;
}

export async function startTestApp(sessions: Sessions, resolve: ResolveCaller): Promise<TestApp> {
  const auth = express();
  auth.use(sessions.middleware);
  auth.get('/auth/ping', (_req, res) => {
    res.json({ pong: true });
  });
  auth.post('/auth/login', async (req, res) => {
    const credentialId = typeof req.query['cred'] === 'string' ? req.query['cred'] : undefined;
    await sessions.establish(req, {
      userId: String(req.query['user']),
      username: `User ${String(req.query['user'])}`,
      roles: ['teacher'],
      authMethod: 'passkey',
      ...(credentialId ? { credentialId } : {}),
    });
    res.json({ signedIn: true });
  });
  auth.post('/auth/logout', async (req, res) => {
    await sessions.destroy(req, res);
    res.status(204).end();
  });

  const server = http.createServer((req, res) => {
    if (req.url?.startsWith('/auth/')) {
      auth(req, res);
      return;
    }
    resolve(req, res).then(
      (resolution) => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify(resolution));
      },
      (err: Error) => {
        res.statusCode = 503;
        res.end(JSON.stringify({ error: err.message }));
      },
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return {
    base: `http://127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

export interface TestResponse {
  status: number;
  body: unknown;
  setCookie: string[];
}

/** node:http rather than fetch: Set-Cookie comes back untouched and nothing keeps a jar. */
export function call(
  base: string,
  path: string,
  init: { method?: string; headers?: Record<string, string> } = {},
): Promise<TestResponse> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: init.method ?? 'GET', headers: init.headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () =>
        resolve({
          status: res.statusCode ?? 0,
          body: text ? (JSON.parse(text) as unknown) : undefined,
          setCookie: res.headers['set-cookie'] ?? [],
        }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

/** `name=value` of the named cookie in a response's Set-Cookie headers. */
export function cookiePair(setCookie: string[], name: string): string {
  const line = setCookie.find((c) => c.startsWith(`${name}=`));
  if (!line) throw new Error(`no ${name} cookie in ${JSON.stringify(setCookie)}`);
  return line.split(';')[0]!;
}
