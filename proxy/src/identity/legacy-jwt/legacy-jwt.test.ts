import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64url, SignJWT } from 'jose';
import { freePort } from '../../../../test-support/free-port.ts';
import { createLegacyJwtVerifier } from './legacy-jwt.ts';
import { createTestKey, signTestToken, startJwksServer, type JwksServer, type TestKey } from './jwks-test-server.ts';

const issuer = 'https://legacy.education.example';
const audience = 'education-platform';
const contract = { issuer, audience };
const claims = { sub: 'u-42', name: 'Ada Lovelace', role: 'teacher' };

let keyA: TestKey;
let keyB: TestKey;
let stranger: TestKey;
let jwks: JwksServer;

beforeAll(async () => {
  [keyA, keyB, stranger] = await Promise.all([createTestKey('key-a'), createTestKey('key-b'), createTestKey('key-a')]);
  jwks = await startJwksServer([keyA.publicJwk]);
});
afterAll(() => jwks.stop());

function verifier(extra: { cooldownMs?: number; cacheMaxAgeMs?: number; jwksUrl?: string } = {}) {
  return createLegacyJwtVerifier({
    jwksUrl: extra.jwksUrl ?? jwks.url,
    ...contract,
    jwks: { cooldownMs: extra.cooldownMs ?? 0, cacheMaxAgeMs: extra.cacheMaxAgeMs, retryAfterFailureMs: 0 },
  });
}

describe('legacy JWT verification', () => {
  it('accepts a valid token and maps its claims to a caller', async () => {
    const token = await signTestToken(keyA, claims, contract);
    const result = await verifier().verify(token);
    expect(result).toMatchObject({
      ok: true,
      caller: { userId: 'u-42', username: 'Ada Lovelace', roles: ['teacher'], via: 'legacy-jwt' },
    });
    expect(result.ok && result.expiresAt).toBeGreaterThan(Date.now());
  });

  it('accepts a token that expired within the clock tolerance, refuses one beyond it', async () => {
    const v = verifier();
    expect((await v.verify(await signTestToken(keyA, claims, { ...contract, expiresInSec: -10 }))).ok).toBe(true);
    expect(await v.verify(await signTestToken(keyA, claims, { ...contract, expiresInSec: -60 }))).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('refuses an unsigned (alg: none) token', async () => {
    const header = base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }));
    const now = Math.floor(Date.now() / 1000);
    const payload = base64url.encode(JSON.stringify({ ...claims, iss: issuer, aud: audience, exp: now + 600 }));
    expect(await verifier().verify(`${header}.${payload}.`)).toEqual({ ok: false, reason: 'alg' });
  });

  it('refuses an HS256 token keyed with the RSA public key (key confusion)', async () => {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256', kid: keyA.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setExpirationTime('10m')
      .sign(new TextEncoder().encode(keyA.publicPem));
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'alg' });
  });

  it('refuses a token signed by another key under a known kid', async () => {
    const token = await signTestToken(stranger, claims, contract);
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'signature' });
  });

  it('refuses a wrong issuer and a wrong audience', async () => {
    const v = verifier();
    const wrongIssuer = await signTestToken(keyA, claims, { issuer: 'https://evil.example', audience });
    const wrongAudience = await signTestToken(keyA, claims, { issuer, audience: 'another-app' });
    expect(await v.verify(wrongIssuer)).toEqual({ ok: false, reason: 'claims' });
    expect(await v.verify(wrongAudience)).toEqual({ ok: false, reason: 'claims' });
  });

  it('refuses a token without a subject', async () => {
    const token = await signTestToken(keyA, { name: 'nobody', role: 'teacher' }, contract);
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'claims' });
  });

  it('refuses a token without an expiry', async () => {
    const token = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', kid: keyA.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .sign(keyA.privateKey);
    expect(await verifier().verify(token)).toEqual({ ok: false, reason: 'claims' });
  });

  it('refuses garbage as malformed', async () => {
    const v = verifier();
    for (const garbage of ['', 'abc', 'a.b.c', 'eyJhbGciOiJSUzI1NiJ9', 'x'.repeat(5000)]) {
      expect(await v.verify(garbage)).toEqual({ ok: false, reason: 'malformed' });
    }
  });

  it('refetches the key set for an unknown kid, and refuses it when still unknown', async () => {
    const v = verifier();
    await v.verify(await signTestToken(keyA, claims, contract)); // key set loaded
    const before = jwks.fetches;
    const token = await signTestToken(keyB, claims, contract);
    expect(await v.verify(token)).toEqual({ ok: false, reason: 'unknown-kid' });
    expect(jwks.fetches).toBe(before + 1);
  });

  it('follows a key rotation: a token under the new kid verifies once the issuer publishes it', async () => {
    const v = verifier();
    expect((await v.verify(await signTestToken(keyA, claims, contract))).ok).toBe(true);
    jwks.serve([keyA.publicJwk, keyB.publicJwk]);
    try {
      const rotated = await signTestToken(keyB, { ...claims, sub: 'u-43' }, contract);
      expect(await v.verify(rotated)).toMatchObject({ ok: true, caller: { userId: 'u-43' } });
      // Without a kid, either published key may have signed it: the one that verifies wins.
      const noKid = await signTestToken(keyB, claims, { ...contract, kid: null });
      expect((await v.verify(noKid)).ok).toBe(true);
    } finally {
      jwks.serve([keyA.publicJwk]);
    }
  });

  it('does not refetch for an unknown kid while cooling down', async () => {
    const v = verifier({ cooldownMs: 60_000 });
    await v.verify(await signTestToken(keyA, claims, contract));
    const before = jwks.fetches;
    expect((await v.verify(await signTestToken(keyB, claims, contract))).ok).toBe(false);
    expect(jwks.fetches).toBe(before);
  });

  it('remembers a verified token until it expires: repeated calls do not verify again', async () => {
    const v = verifier({ cacheMaxAgeMs: 0 });
    const token = await signTestToken(keyA, claims, contract);
    expect((await v.verify(token)).ok).toBe(true);
    const fetchesAfterFirst = jwks.fetches;
    // With a key set that is never fresh, any real verification would fetch it again.
    for (let i = 0; i < 5; i += 1) expect((await v.verify(token)).ok).toBe(true);
    expect(jwks.fetches).toBe(fetchesAfterFirst);
  });

  it('answers jwks-unavailable when the key set cannot be fetched at all', async () => {
    const v = verifier({ jwksUrl: `http://127.0.0.1:${await freePort()}/.well-known/jwks.json` });
    expect(await v.verify(await signTestToken(keyA, claims, contract))).toEqual({
      ok: false,
      reason: 'jwks-unavailable',
    });
  });

  it('keeps verifying with the last good key set while the issuer is down', async () => {
    const own = await startJwksServer([keyA.publicJwk]);
    const v = verifier({ jwksUrl: own.url, cacheMaxAgeMs: 0 });
    expect((await v.verify(await signTestToken(keyA, claims, contract))).ok).toBe(true);
    await own.stop();
    const later = await signTestToken(keyA, { ...claims, sub: 'u-44' }, contract);
    expect(await v.verify(later)).toMatchObject({ ok: true, caller: { userId: 'u-44' } });
    expect(await v.verify(await signTestToken(keyB, claims, contract))).toEqual({ ok: false, reason: 'unknown-kid' });
  });
});
