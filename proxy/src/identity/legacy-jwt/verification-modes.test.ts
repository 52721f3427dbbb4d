import { generateKeyPairSync, type KeyObject } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import jwt from 'jsonwebtoken';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { base64url } from 'jose';
import { loadConfig } from '../../config.ts';
import type { Caller } from '../../routing/route.ts';
import { createLegacyIdentity, type LegacyIdentity } from './legacy-identity.ts';
import { startJwksServer } from './jwks-test-server.ts';

/**
 * Each way the proxy can check a legacy JWT, wired from configuration as at start-up, against
 * tokens signed the way legacy APIs sign them (jsonwebtoken, as an old Node codebase does).
 */

const log = pino({ level: 'silent' });
const dir = mkdtempSync(path.join(tmpdir(), 'verification-modes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const SECRET = 'conduit-hs256-secret-that-is-long-enough-0123';
const ada: Caller = { userId: '42', username: 'ada', roles: ['author'], via: 'session' };

function identity(env: Record<string, string>): LegacyIdentity {
  const config = loadConfig(env);
  return createLegacyIdentity(config.legacyToken, config.mint, log);
}

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

const hs256 = { LEGACY_TOKEN_SCHEMES: 'Token', LEGACY_JWT_SECRET: SECRET, LEGACY_JWT_ISSUER: 'none', LEGACY_JWT_AUDIENCE: 'none', LEGACY_USER_ID_CLAIM: 'id', LEGACY_USERNAME_CLAIM: 'username' };

describe('an HMAC secret (HS256)', () => {
  const { verifier } = identity(hs256);
  const sign = (claims: object, opts: jwt.SignOptions = { expiresIn: '1h' }, secret = SECRET) => jwt.sign(claims, secret, { algorithm: 'HS256', ...opts });

  it('verifies the legacy API\'s own tokens: numeric id in `id`, username in `username`, no iss/aud', async () => {
    expect(await verifier.verify(sign({ id: 42, username: 'jake' }))).toMatchObject({ ok: true, caller: { userId: '42', username: 'jake', roles: [] } });
  });

  it('refuses another secret, an RS256 token, alg none, an expired token and one without the id claim', async () => {
    expect(await verifier.verify(sign({ id: 42 }, { expiresIn: '1h' }, 'another-secret'))).toEqual({ ok: false, reason: 'signature' });
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    expect(await verifier.verify(jwt.sign({ id: 42 }, privateKey, { algorithm: 'RS256', expiresIn: '1h' }))).toEqual({ ok: false, reason: 'alg' });
    const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64url.encode(JSON.stringify({ id: 42, exp: Date.now() / 1000 + 600 }))}.`;
    expect(await verifier.verify(none)).toEqual({ ok: false, reason: 'alg' });
    expect(await verifier.verify(sign({ id: 42, exp: Math.floor(Date.now() / 1000) - 3600 }, {}))).toEqual({ ok: false, reason: 'expired' });
    expect(await verifier.verify(sign({ username: 'jake' }))).toEqual({ ok: false, reason: 'claims' });
  });

  it('requires `exp` by default; LEGACY_JWT_REQUIRED_CLAIMS=none lets a token without one through', async () => {
    const forever = sign({ id: 42 }, {});
    expect(await verifier.verify(forever)).toEqual({ ok: false, reason: 'claims' });
    expect(await identity({ ...hs256, LEGACY_JWT_REQUIRED_CLAIMS: 'none' }).verifier.verify(forever)).toMatchObject({ ok: true, caller: { userId: '42' } });
  });

  it('mints for a session caller what the legacy API accepts: HS256 with its secret, `Token` scheme, numeric `id`', async () => {
    const { minter, location } = identity(hs256);
    const field = location.fieldFor(await minter.tokenFor(ada));
    expect(field.authorization).toMatch(/^Token ey/);
    // Checked as the legacy API checks it: jsonwebtoken, its secret, HS256 only.
    const claims = jwt.verify(field.authorization!.slice('Token '.length), SECRET, { algorithms: ['HS256'] }) as jwt.JwtPayload;
    expect(claims).toMatchObject({ id: 42, username: 'ada', role: 'author' });
    expect(claims).not.toHaveProperty('iss');
    expect(claims).not.toHaveProperty('aud');
    expect(await minter.publicJwk()).toBeUndefined(); // nothing to publish: the secret stays secret
  });

  it('keeps a non-numeric id a string when minting', async () => {
    const { minter } = identity(hs256);
    const claims = jwt.verify(await minter.tokenFor({ ...ada, userId: 'u-42' }), SECRET) as jwt.JwtPayload;
    expect(claims.id).toBe('u-42');
  });
});

describe('a public key file', () => {
  const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const ec2 = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const contract = { LEGACY_JWT_ISSUER: 'https://legacy.example', LEGACY_JWT_AUDIENCE: 'app' };
  const signed = (key: KeyObject, algorithm: jwt.Algorithm, extra: jwt.SignOptions = {}) =>
    jwt.sign({ sub: 'u-7', name: 'Grace', role: 'admin' }, key, { algorithm, expiresIn: '1h', issuer: 'https://legacy.example', audience: 'app', ...extra });

  it('PEM (RSA): verifies RS256, checks iss and aud', async () => {
    const { verifier } = identity({ ...contract, LEGACY_JWT_PUBLIC_KEY_FILE: file('rsa.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString()) });
    expect(await verifier.verify(signed(rsa.privateKey, 'RS256'))).toMatchObject({ ok: true, caller: { userId: 'u-7', username: 'Grace', roles: ['admin'] } });
    expect(await verifier.verify(signed(rsa.privateKey, 'RS256', { issuer: 'https://elsewhere.example' }))).toEqual({ ok: false, reason: 'claims' });
    expect(await verifier.verify(signed(rsa.privateKey, 'RS256', { audience: 'other-app' }))).toEqual({ ok: false, reason: 'claims' });
    // The public key as an HMAC secret (key confusion): refused by the algorithm list.
    const confused = jwt.sign({ sub: 'u-7' }, rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString(), { algorithm: 'HS256', expiresIn: '1h' });
    expect(await verifier.verify(confused)).toEqual({ ok: false, reason: 'alg' });
  });

  it('JWK (EC P-256): verifies ES256', async () => {
    const jwk = ec.publicKey.export({ format: 'jwk' });
    const { verifier } = identity({ ...contract, LEGACY_JWT_PUBLIC_KEY_FILE: file('ec.jwk.json', JSON.stringify(jwk)) });
    expect(await verifier.verify(signed(ec.privateKey, 'ES256'))).toMatchObject({ ok: true, caller: { userId: 'u-7' } });
    expect(await verifier.verify(signed(ec2.privateKey, 'ES256'))).toEqual({ ok: false, reason: 'signature' });
  });

  it('a JWK set: the token names its key by kid', async () => {
    const keys = [
      { ...ec.publicKey.export({ format: 'jwk' }), kid: 'old', alg: 'ES256' },
      { ...ec2.publicKey.export({ format: 'jwk' }), kid: 'new', alg: 'ES256' },
    ];
    const { verifier } = identity({ ...contract, LEGACY_JWT_PUBLIC_KEY_FILE: file('set.json', JSON.stringify({ keys })) });
    expect((await verifier.verify(signed(ec.privateKey, 'ES256', { keyid: 'old' }))).ok).toBe(true);
    expect((await verifier.verify(signed(ec2.privateKey, 'ES256', { keyid: 'new' }))).ok).toBe(true);
    expect(await verifier.verify(signed(ec2.privateKey, 'ES256', { keyid: 'old' }))).toEqual({ ok: false, reason: 'signature' });
  });
});

describe('a published key set (JWKS)', () => {
  it('verifies against LEGACY_JWKS_URL, with claims at dotted paths', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwks = await startJwksServer([{ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1', alg: 'RS256', use: 'sig' }]);
    try {
      const { verifier } = identity({
        LEGACY_JWKS_URL: jwks.url,
        LEGACY_JWT_ISSUER: 'none',
        LEGACY_JWT_AUDIENCE: 'none',
        LEGACY_USER_ID_CLAIM: 'user.id',
        LEGACY_ROLES_CLAIM: 'realm_access.roles',
        LEGACY_USERNAME_CLAIM: 'user.login',
      });
      const token = jwt.sign({ user: { id: 'u-9', login: 'lin' }, realm_access: { roles: ['teacher', 'staff', 3] } }, rsa.privateKey, { algorithm: 'RS256', keyid: 'k1', expiresIn: '1h' });
      expect(await verifier.verify(token)).toMatchObject({ ok: true, caller: { userId: 'u-9', username: 'lin', roles: ['teacher', 'staff'] } });
      // The user id where the path says, not beside it.
      const flat = jwt.sign({ id: 'u-9', sub: 'u-9' }, rsa.privateKey, { algorithm: 'RS256', keyid: 'k1', expiresIn: '1h' });
      expect(await verifier.verify(flat)).toEqual({ ok: false, reason: 'claims' });
    } finally {
      await jwks.stop();
    }
  });
});
