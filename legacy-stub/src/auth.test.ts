import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLocalJWKSet, decodeProtectedHeader, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import jwt from 'jsonwebtoken';
import { LEGACY_AUDIENCE, LEGACY_ISSUER, startLegacyStub, type LegacyStub } from './server.ts';
import { call } from './test-client.ts';

describe('legacy JWT auth', () => {
  let stub: LegacyStub;
  let proxyKey: CryptoKey;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256', { extractable: true });
    proxyKey = pair.privateKey;
    const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: 'proxy-minting-1' };
    stub = await startLegacyStub({ quiet: true, trustedKeys: [publicJwk] });
  });
  afterAll(() => stub.close());

  async function login(username: string, password: string) {
    return call(stub.url, '/api/auth/login', { json: { username, password } });
  }

  it('signs a seed user in with an RS256 token that verifies against the published JWKS', async () => {
    const res = await login('ingrid', 'password');
    expect(res.status).toBe(200);
    const jwks = (await call(stub.url, '/.well-known/jwks.json')).body;
    const { payload, protectedHeader } = await jwtVerify(res.body.token, createLocalJWKSet(jwks), {
      issuer: LEGACY_ISSUER,
      audience: LEGACY_AUDIENCE,
      algorithms: ['RS256'],
    });
    expect(protectedHeader.kid).toBe(jwks.keys[0].kid);
    expect(payload).toMatchObject({ sub: 'u-ingrid', name: 'Ingrid Solberg', role: 'TEACHER' });
    expect(payload.exp! - payload.iat!).toBe(24 * 60 * 60);
  });

  it('publishes public keys only: its own and the trusted one', async () => {
    const { keys } = (await call(stub.url, '/.well-known/jwks.json')).body;
    expect(keys.map((k: { kid: string }) => k.kid)).toContain('proxy-minting-1');
    for (const key of keys) {
      expect(key).toMatchObject({ kty: 'RSA', alg: 'RS256', use: 'sig' });
      expect(key).not.toHaveProperty('d');
    }
  });

  it('refuses wrong credentials in the legacy error format, not problem+json', async () => {
    for (const [username, password] of [['ingrid', 'wrong'], ['nobody', 'password']] as const) {
      const res = await login(username, password);
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toMatch(/^application\/json/);
      expect(res.body).toEqual({ error: 'invalid_credentials', message: expect.any(String) });
    }
  });

  it('answers 401 with WWW-Authenticate: Bearer without a token, and the profile with one', async () => {
    const anonymous = await call(stub.url, '/api/users/profile');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer');
    expect(anonymous.body).toMatchObject({ error: 'unauthorized' });

    const { token } = (await login('ola', 'password')).body;
    const signedIn = await call(stub.url, '/api/users/profile', { token });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body).toEqual({
      id: 'u-ola',
      firstName: 'Ola',
      lastName: 'Nordmann',
      organisationId: 'org-uninett',
      roleCode: 'STUDENT',
    });
  });

  it('rejects expired, forged and algorithm-swapped tokens', async () => {
    const expired = stub.issueToken('ingrid', { expiresInSec: -60 });
    const strangerKey = (await generateKeyPair('RS256')).privateKey;
    const ownKid = decodeProtectedHeader(stub.issueToken('ingrid')).kid!;
    const forged = await mint(strangerKey, ownKid, {});
    const hs256 = jwt.sign({ sub: 'u-ingrid' }, 'secret', {
      algorithm: 'HS256',
      keyid: ownKid,
      issuer: LEGACY_ISSUER,
      audience: LEGACY_AUDIENCE,
    });
    for (const token of [expired, forged, hs256, 'not-a-jwt']) {
      const res = await call(stub.url, '/api/users/profile', { token });
      expect(res.status, token.slice(0, 20)).toBe(401);
      expect(res.body.error).toBe('unauthorized');
    }
  });

  it('accepts a token minted with a trusted key, under the same issuer and audience rules', async () => {
    const minted = await mint(proxyKey, 'proxy-minting-1', {});
    const res = await call(stub.url, '/api/users/profile', { token: minted });
    expect(res.status).toBe(200);
    expect(res.body.id).toBe('u-emma');

    const wrongAudience = await mint(proxyKey, 'proxy-minting-1', { audience: 'someone-else' });
    expect((await call(stub.url, '/api/users/profile', { token: wrongAudience })).status).toBe(401);
  });

  async function mint(key: CryptoKey, kid: string, { audience = LEGACY_AUDIENCE }: { audience?: string }) {
    return new SignJWT({ name: 'Emma Johansen', role: 'STUDENT' })
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(LEGACY_ISSUER)
      .setAudience(audience)
      .setSubject('u-emma')
      .setIssuedAt()
      .setExpirationTime('5m')
      .sign(key);
  }
});
