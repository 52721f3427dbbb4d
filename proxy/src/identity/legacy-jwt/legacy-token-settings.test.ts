import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'legacy-token-settings-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const at = path.join(dir, name);
  writeFileSync(at, text);
  return at;
}

const rsa = generateKeyPairSync('rsa', { modulusLength: 2048 });
const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsaPem = file('rsa.pem', rsa.publicKey.export({ type: 'spki', format: 'pem' }).toString());
const ecPem = file('ec.pem', ec.publicKey.export({ type: 'spki', format: 'pem' }).toString());
const rsaJwk = file('rsa.jwk.json', JSON.stringify({ ...rsa.publicKey.export({ format: 'jwk' }), kid: 'k1' }));
const privatePem = file('private.pem', rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString());
const SECRET = 'the-legacy-api-hs256-secret-0123456789abcdef';

function refusal(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('the configuration was accepted');
}

describe('the legacy credential, as configuration', () => {
  it("keeps today's settings as the defaults: Bearer, the stand-in's JWKS, RS256, iss and aud checked, sub/role/name", () => {
    const { legacyToken } = loadConfig({ LEGACY_URL: 'http://127.0.0.1:4000' });
    expect(legacyToken).toMatchObject({
      location: { kind: 'authorization', schemes: ['Bearer'] },
      verification: { mode: 'jwt', key: { kind: 'jwks', url: 'http://127.0.0.1:4000/.well-known/jwks.json' }, algorithms: ['RS256'], requiredClaims: ['exp'] },
      issuer: 'https://legacy.education.example',
      audience: 'education-platform',
      claims: { userId: 'sub', roles: 'role', username: 'name' },
      minting: { algorithm: 'RS256' },
    });
  });

  it('reads an HS256 `Token` API: scheme, secret, no iss/aud, the user id in `id`; minting follows', () => {
    const { legacyToken } = loadConfig({
      LEGACY_TOKEN_SCHEMES: 'Token',
      LEGACY_JWT_SECRET: SECRET,
      LEGACY_JWT_ISSUER: 'none',
      LEGACY_JWT_AUDIENCE: 'none',
      LEGACY_USER_ID_CLAIM: 'id',
    });
    expect(legacyToken).toMatchObject({
      location: { kind: 'authorization', schemes: ['Token'] },
      verification: { mode: 'jwt', key: { kind: 'secret' }, algorithms: ['HS256'] },
      issuer: undefined,
      audience: undefined,
      claims: { userId: 'id' },
      minting: { algorithm: 'HS256' },
      warnings: [],
    });
  });

  it('takes the secret from a file (its trailing newline is not part of it) and in base64', () => {
    const fromFile = loadConfig({ LEGACY_JWT_SECRET_FILE: file('secret.txt', `${SECRET}\n`) }).legacyToken.verification;
    expect(fromFile.mode === 'jwt' && fromFile.key.kind === 'secret' && fromFile.key.secret.export().toString()).toBe(SECRET);
    const b64 = loadConfig({ LEGACY_JWT_SECRET: Buffer.from(SECRET).toString('base64'), LEGACY_JWT_SECRET_ENCODING: 'base64' }).legacyToken.verification;
    expect(b64.mode === 'jwt' && b64.key.kind === 'secret' && b64.key.secret.export().toString()).toBe(SECRET);
  });

  it('warns, without refusing, about a secret shorter than the hash', () => {
    expect(loadConfig({ LEGACY_JWT_SECRET: 'secret' }).legacyToken.warnings).toEqual([expect.stringMatching(/48 bits, fewer than the 256 HS256 calls for/)]);
  });

  it('derives the algorithm from a public key file: RS256 for RSA (PEM or JWK), ES256 for P-256', () => {
    for (const [key, alg] of [[rsaPem, 'RS256'], [rsaJwk, 'RS256'], [ecPem, 'ES256']] as const) {
      const v = loadConfig({ LEGACY_JWT_PUBLIC_KEY_FILE: key }).legacyToken.verification;
      expect(v.mode === 'jwt' && v.algorithms).toContain(alg);
    }
  });

  it.each([
    [{ LEGACY_JWT_SECRET: SECRET, LEGACY_JWT_ALGORITHMS: 'RS256' }, /LEGACY_JWT_ALGORITHMS="RS256": RS256 cannot be checked with an HMAC secret/],
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: rsaPem, LEGACY_JWT_ALGORITHMS: 'HS256' }, /LEGACY_JWT_ALGORITHMS="HS256": HS256 \(HMAC\) needs a shared secret/],
    [{ LEGACY_JWT_ALGORITHMS: 'HS256,RS256' }, /LEGACY_JWT_ALGORITHMS="HS256,RS256": HS256 \(HMAC\) needs a shared secret/],
    [{ LEGACY_JWT_ALGORITHMS: 'none' }, /LEGACY_JWT_ALGORITHMS="none": "none" is never accepted/],
    [{ LEGACY_JWT_SECRET: SECRET, LEGACY_JWT_ALGORITHMS: 'HS256,None' }, /"none" is never accepted/],
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: ecPem, LEGACY_JWT_ALGORITHMS: 'ES384' }, /the EC prime256v1 key is for ES256, not ES384/],
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: rsaPem, LEGACY_JWT_ALGORITHMS: 'ES256' }, /the RSA 2048-bit key is for RS256/],
    [{ LEGACY_JWT_ALGORITHMS: 'XS256' }, /XS256 is not a signature algorithm the proxy checks/],
  ])('refuses an algorithm list that does not fit the key: %o', (env, message) => {
    expect(refusal(env)).toMatch(message);
  });

  it.each([
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: privatePem }, /LEGACY_JWT_PUBLIC_KEY_FILE=".*private.pem": holds a private key/],
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: path.join(dir, 'missing.pem') }, /LEGACY_JWT_PUBLIC_KEY_FILE=".*missing.pem": no such file/],
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: file('junk.txt', 'hello') }, /neither a PEM public key nor a JWK/],
    [{ LEGACY_JWT_PUBLIC_KEY_FILE: file('oct.json', JSON.stringify({ kty: 'oct', k: 'c2VjcmV0' })) }, /symmetric \(oct\) key: an HMAC secret goes in LEGACY_JWT_SECRET/],
    [{ LEGACY_JWT_SECRET_FILE: path.join(dir, 'nope') }, /LEGACY_JWT_SECRET_FILE=".*nope": no such file/],
    [{ LEGACY_JWT_SECRET: '   ', LEGACY_JWT_SECRET_ENCODING: 'base64' }, /LEGACY_JWT_SECRET=\(hidden\): is empty once decoded as base64/],
    [{ LEGACY_JWT_SECRET_ENCODING: 'latin1' }, /LEGACY_JWT_SECRET_ENCODING="latin1": must be utf8/],
  ])('refuses a key it cannot use, naming the variable: %o', (env, message) => {
    expect(refusal(env)).toMatch(message);
  });

  it.each([
    [{ LEGACY_JWKS_URL: 'http://127.0.0.1:1/jwks', LEGACY_JWT_SECRET: SECRET }, /LEGACY_JWKS_URL, LEGACY_JWT_SECRET: set one way to check legacy tokens, not 2/],
    [{ LEGACY_JWT_SECRET: SECRET, LEGACY_INTROSPECTION_URL: '/api/user' }, /LEGACY_JWT_SECRET, LEGACY_INTROSPECTION_URL: set one way/],
    [{ LEGACY_TOKEN_SCHEMES: 'Token', LEGACY_TOKEN_COOKIE: 'jwt' }, /LEGACY_TOKEN_COOKIE="jwt": the token travels in one place: LEGACY_TOKEN_SCHEMES and LEGACY_TOKEN_COOKIE are both set/],
    [{ LEGACY_TOKEN_SCHEMES: 'Token, Bearer x' }, /LEGACY_TOKEN_SCHEMES="Token, Bearer x": must be a comma list of Authorization schemes/],
    [{ LEGACY_TOKEN_SCHEMES: 'Basic' }, /LEGACY_TOKEN_SCHEMES="Basic": Basic carries a password/],
    [{ LEGACY_TOKEN_HEADER: 'Authorization' }, /LEGACY_TOKEN_HEADER="Authorization": for Authorization, set LEGACY_TOKEN_SCHEMES/],
    [{ LEGACY_TOKEN_HEADER: 'Cookie' }, /LEGACY_TOKEN_HEADER="Cookie": is a header the proxy or HTTP itself decides/],
    [{ LEGACY_TOKEN_HEADER: 'X Token' }, /LEGACY_TOKEN_HEADER="X Token": must be a header name/],
    [{ LEGACY_USER_ID_CLAIM: 'user..id' }, /LEGACY_USER_ID_CLAIM="user..id": must be a claim name or dotted path/],
    [{ LEGACY_JWT_REQUIRED_CLAIMS: 'exp,user.id' }, /LEGACY_JWT_REQUIRED_CLAIMS="exp,user.id": "user.id" is not a claim name/],
    [{ LEGACY_INTROSPECTION_URL: 'ftp://legacy/whoami' }, /LEGACY_INTROSPECTION_URL="ftp:\/\/legacy\/whoami": must be an http\(s\) URL or a path/],
    [{ LEGACY_INTROSPECTION_URL: '/api/user', LEGACY_JWT_ALGORITHMS: 'RS256' }, /LEGACY_JWT_ALGORITHMS="RS256": opaque tokens .* are not checked by algorithm/],
    [{ LEGACY_INTROSPECTION_CACHE_S: '7200' }, /LEGACY_INTROSPECTION_CACHE_S="7200": must be at most 3600/],
  ])('refuses settings that contradict each other or cannot be right: %o', (env, message) => {
    expect(refusal(env)).toMatch(message);
  });

  it('refuses an RSA minting key beside an HMAC secret, without echoing either', () => {
    const message = refusal({ LEGACY_JWT_SECRET: SECRET, MINT_PRIVATE_KEY: rsa.privateKey.export({ type: 'pkcs8', format: 'pem' }).toString() });
    expect(message).toMatch(/MINT_PRIVATE_KEY=\(hidden\): not used with an HMAC secret/);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain('BEGIN PRIVATE KEY');
  });

  it('never echoes a secret in a refusal', () => {
    const message = refusal({ LEGACY_JWT_SECRET: SECRET, LEGACY_JWT_ALGORITHMS: 'RS256' });
    expect(message).not.toContain(SECRET);
  });

  it('reads a header or a cookie location, and an introspection path on the legacy API', () => {
    expect(loadConfig({ LEGACY_TOKEN_HEADER: 'X-Auth-Token' }).legacyToken.location).toEqual({ kind: 'header', name: 'x-auth-token' });
    expect(loadConfig({ LEGACY_TOKEN_COOKIE: 'jwt' }).legacyToken.location).toEqual({ kind: 'cookie', name: 'jwt' });
    expect(loadConfig({ LEGACY_URL: 'http://legacy.internal:8080/v1', LEGACY_INTROSPECTION_URL: '/me' }).legacyToken.verification).toEqual({
      mode: 'introspection',
      url: 'http://legacy.internal:8080/v1/me',
      cacheSec: 60,
      timeoutMs: 3_000,
    });
  });
});
