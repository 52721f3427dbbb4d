import { generateKeyPairSync } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { decodeProtectedHeader, importJWK, jwtVerify } from 'jose';
import type { Caller } from '../../routing/route.ts';
import { createLegacyJwtVerifier } from './legacy-jwt.ts';
import { createLegacyTokenMinter, generateDevKeyPair } from './mint-legacy-token.ts';
import { startJwksServer } from './jwks-test-server.ts';

const issuer = 'https://legacy.education.example';
const audience = 'education-platform';
const ada: Caller = { userId: 'u-42', username: 'Ada Lovelace', roles: ['teacher'], via: 'session' };
const grace: Caller = { userId: 'u-7', username: 'Grace Hopper', roles: ['student'], via: 'session' };

describe('minting legacy tokens for session callers', () => {
  it('mints an RS256 token with the legacy contract that verifies against the public JWK', async () => {
    const { privateKeyPem } = await generateDevKeyPair();
    const minter = createLegacyTokenMinter({ privateKeyPem, kid: 'proxy-1', issuer, audience });
    const token = await minter.tokenFor(ada);
    const jwk = (await minter.publicJwk())!;
    expect(jwk).toMatchObject({ kty: 'RSA', kid: 'proxy-1', alg: 'RS256', use: 'sig' });
    expect(jwk).not.toHaveProperty('d'); // the private part never leaves
    expect(decodeProtectedHeader(token)).toMatchObject({ alg: 'RS256', kid: 'proxy-1' });
    const { payload } = await jwtVerify(token, await importJWK(jwk, 'RS256'), { issuer, audience });
    expect(payload).toMatchObject({ sub: 'u-42', name: 'Ada Lovelace', role: 'teacher' });
    expect(payload.exp! - payload.iat!).toBe(300);
  });

  it('is accepted by the same verifier the proxy uses for legacy tokens', async () => {
    const minter = createLegacyTokenMinter({ ...(await generateDevKeyPair()), kid: 'proxy-1', issuer, audience });
    const jwks = await startJwksServer([(await minter.publicJwk())!]);
    try {
      const verifier = createLegacyJwtVerifier({ jwksUrl: jwks.url, issuer, audience });
      expect(await verifier.verify(await minter.tokenFor(ada))).toMatchObject({
        ok: true,
        caller: { userId: 'u-42', username: 'Ada Lovelace', roles: ['teacher'] },
      });
    } finally {
      await jwks.stop();
    }
  });

  it('reuses a token until the reuse margin before its expiry, then mints a fresh one', async () => {
    let clock = Date.parse('2026-01-01T10:00:00Z');
    const minter = createLegacyTokenMinter({
      ...(await generateDevKeyPair()),
      kid: 'proxy-1',
      issuer,
      audience,
      lifetimeSec: 300,
      reuseMarginSec: 60,
      now: () => clock,
    });
    const first = await minter.tokenFor(ada);
    clock += 239_000;
    expect(await minter.tokenFor(ada)).toBe(first);
    clock += 2_000; // 241 s: within 60 s of expiry
    const second = await minter.tokenFor(ada);
    expect(second).not.toBe(first);
    clock += 1_000;
    expect(await minter.tokenFor(ada)).toBe(second);
  });

  it('gives another user, or the same user with another role, their own token', async () => {
    const minter = createLegacyTokenMinter({ ...(await generateDevKeyPair()), kid: 'proxy-1', issuer, audience });
    const adaToken = await minter.tokenFor(ada);
    expect(await minter.tokenFor(grace)).not.toBe(adaToken);
    expect(await minter.tokenFor({ ...ada, roles: ['admin'] })).not.toBe(adaToken);
  });

  it('generates a throwaway key when none is configured, and says so', async () => {
    const warnings: string[] = [];
    const minter = createLegacyTokenMinter({
      kid: 'dev',
      issuer,
      audience,
      log: { warn: (_obj, msg) => warnings.push(msg) },
    });
    const token = await minter.tokenFor(ada);
    await jwtVerify(token, await importJWK((await minter.publicJwk())!, 'RS256'), { issuer, audience });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/generated a throwaway RSA key/);
  });

  it('refuses, at creation, a key that is not an RSA private key', async () => {
    const ecPem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    expect(() => createLegacyTokenMinter({ privateKeyPem: 'not a key', kid: 'k', issuer, audience })).toThrow();
    expect(() => createLegacyTokenMinter({ privateKeyPem: String(ecPem), kid: 'k', issuer, audience })).toThrow(/RSA/);
    expect(() => createLegacyTokenMinter({ kid: 'k', issuer, audience, lifetimeSec: 30, reuseMarginSec: 60 })).toThrow(
      /reuse margin/,
    );
  });
});
