import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';

/** Test support: a signing key with its public JWK, as an issuer would publish it. */
export interface TestKey {
  kid: string;
  privateKey: CryptoKey;
  publicJwk: JWK;
  /** SPKI PEM of the public key (what a key-confusion attacker would use as an HMAC secret). */
  publicPem: string;
}

export async function createTestKey(kid: string): Promise<TestKey> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const spki = Buffer.from(await crypto.subtle.exportKey('spki', publicKey)).toString('base64');
  const publicPem = `-----BEGIN PUBLIC KEY-----\n${spki.match(/.{1,64}/g)!.join('\n')}\n-----END PUBLIC KEY-----\n`;
  return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' }, publicPem };
}

export async function signTestToken(
  key: TestKey,
  claims: JWTPayload,
  opts: { issuer: string; audience: string; expiresInSec?: number; kid?: string | null },
): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  const kid = opts.kid === null ? undefined : (opts.kid ?? key.kid);
  return new SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', ...(kid ? { kid } : {}) })
    .setIssuer(opts.issuer)
    .setAudience(opts.audience)
    .setIssuedAt(now)
    .setExpirationTime(now + (opts.expiresInSec ?? 600))
    .sign(key.privateKey);
}

export interface JwksServer {
  url: string;
  /** How many times the key set was fetched. */
  readonly fetches: number;
  serve(keys: JWK[]): void;
  stop(): Promise<void>;
}

/** A tiny issuer: serves `{ keys }` at /.well-known/jwks.json on a loopback port. */
export async function startJwksServer(keys: JWK[]): Promise<JwksServer> {
  let current = keys;
  let fetches = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches += 1;
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: current }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/.well-known/jwks.json`,
    get fetches() {
      return fetches;
    },
    serve(next) {
      current = next;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
