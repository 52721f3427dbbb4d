import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRecorder, type ReceivedRequest } from '../received.ts';
import { requestPath } from '../request-path.ts';
import { createConduitApp } from './app.ts';
import { createConduitWorld, type ConduitArticle, type ConduitUser } from './seed.ts';
import { createJwtTokens, createOpaqueTokens, type ConduitTokenKind } from './tokens.ts';

export type { ReceivedRequest } from '../received.ts';
export type { ConduitArticle, ConduitUser } from './seed.ts';
export type { ConduitTokenKind } from './tokens.ts';
export { SEED_PASSWORD } from './seed.ts';
export { CONDUIT_TOKEN_TTL_SEC, MIN_SECRET_BYTES } from './tokens.ts';

export interface ConduitStubOptions {
  /** 0 = a free port (default 0). */
  port?: number;
  /** Default '127.0.0.1'. */
  host?: string;
  /** 'jwt' (default): HS256 with `secret`. 'opaque': random strings kept server-side. */
  tokens?: ConduitTokenKind;
  /** The HS256 secret, at least 32 bytes. Default: random per start. */
  secret?: string;
  /** No request logging. */
  quiet?: boolean;
}

export interface ConduitStub {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  server: http.Server;
  tokens: ConduitTokenKind;
  /** Signs and verifies the tokens in 'jwt' mode; give it to whoever must mint tokens this API accepts. */
  secret: string;
  /** Ring buffer, last 1000, newest last: `{method, url, rawHeaders, ...}` as the default stand-in records them. */
  received: ReceivedRequest[];
  /** For tests: a token this API accepts for a seed user (a JWT or an opaque one, by mode), sent as `Token <it>`. */
  issueToken(username: string, overrides?: { expiresInSec?: number }): string;
  /** Opaque mode only: forget a token, so GET /api/user answers 401 for it from now on. */
  revokeToken(token: string): void;
  users: ReadonlyArray<ConduitUser>;
  /** Newest first. */
  articles: ReadonlyArray<ConduitArticle>;
  /** Closes the server and every keep-alive socket. */
  close(): Promise<void>;
}

/** A second legacy profile: the public RealWorld ("Conduit") API's conventions, see README.md. */
export async function startConduitStub(opts: ConduitStubOptions = {}): Promise<ConduitStub> {
  const kind = opts.tokens ?? 'jwt';
  const secret = opts.secret ?? randomBytes(32).toString('base64url');
  const tokens = kind === 'opaque' ? createOpaqueTokens() : createJwtTokens(secret);
  const world = createConduitWorld();
  const app = createConduitApp(world, tokens);
  const recorder = createRecorder();

  const server = http.createServer((req, res) => {
    recorder.record(req, res);
    if (!opts.quiet) logWhenDone(req, res);
    app(req, res);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address === '0.0.0.0' || address === '::' ? '127.0.0.1' : address;

  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    server,
    tokens: kind,
    secret,
    received: recorder.received,
    issueToken(username, overrides = {}) {
      const user = world.users.find((u) => u.username === username);
      if (!user) throw new Error(`issueToken: no seed user "${username}"`);
      return tokens.issue(user, overrides.expiresInSec);
    },
    revokeToken: (token) => tokens.revoke(token),
    users: world.users,
    articles: world.articles,
    close() {
      closing ??= new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      });
      return closing;
    },
  };
}

/** One line per request; the path only, since query strings may carry things nobody should log. */
function logWhenDone(req: http.IncomingMessage, res: http.ServerResponse): void {
  const started = performance.now();
  res.once('close', () => {
    const outcome = res.writableFinished ? String(res.statusCode) : 'no answer (connection closed)';
    process.stdout.write(`conduit-stub ${req.method} ${requestPath(req.url)} ${outcome} ${Math.round(performance.now() - started)}ms\n`);
  });
}
