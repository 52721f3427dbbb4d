import { createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, exportJWK, type JWK } from 'jose';
import jwt from 'jsonwebtoken';
import type { SeedUser } from './seed.ts';

export const LEGACY_ISSUER = 'https://legacy.education.example';
export const LEGACY_AUDIENCE = 'education-platform';
const TOKEN_TTL_SEC = 24 * 60 * 60;

export interface LegacyTokenPayload extends jwt.JwtPayload {
  sub: string;
}

export interface TokenService {
  /** The stub's own signing key id. */
  kid: string;
  issue(user: SeedUser, expiresInSec?: number): string;
  /** Throws when the token is not one this API accepts. */
  verify(token: string): LegacyTokenPayload;
  /** Public keys only: the stub's own plus every trusted key. */
  jwks(): { keys: JWK[] };
}

/**
 * The legacy API signs and checks its tokens with jsonwebtoken, as an old codebase
 * would. The key pair is generated per start so no private key ever sits in the repo.
 * Trusted keys let another party (the proxy) mint tokens this API accepts.
 */
export async function createTokenService(trustedKeys: readonly object[] = []): Promise<TokenService> {
  const { privateKey, publicKey } = await promisify(generateKeyPair)('rsa', { modulusLength: 2048 });
  const ownJwk = await publicJwk(publicKey);
  const kid = await calculateJwkThumbprint(ownJwk);
  const verifyKeys = new Map<string, KeyObject>([[kid, publicKey]]);
  const published: JWK[] = [{ ...ownJwk, kid, alg: 'RS256', use: 'sig' }];

  for (const [index, raw] of trustedKeys.entries()) {
    const { key, jwk } = await importTrustedKey(raw, index);
    if (verifyKeys.has(jwk.kid!)) throw new Error(`trusted key #${index}: kid "${jwk.kid}" is already in use`);
    verifyKeys.set(jwk.kid!, key);
    published.push(jwk);
  }

  return {
    kid,
    issue(user, expiresInSec = TOKEN_TTL_SEC) {
      return jwt.sign({ name: `${user.firstName} ${user.lastName}`, role: user.roleCode }, privateKey, {
        algorithm: 'RS256',
        keyid: kid,
        issuer: LEGACY_ISSUER,
        audience: LEGACY_AUDIENCE,
        subject: user.id,
        expiresIn: expiresInSec,
      });
    },
    verify(token) {
      const decoded = jwt.decode(token, { complete: true });
      const tokenKid = decoded?.header.kid;
      if (!tokenKid) throw new Error('token has no kid');
      const key = verifyKeys.get(tokenKid);
      if (!key) throw new Error('token signed with an unknown key');
      const payload = jwt.verify(token, key, {
        algorithms: ['RS256'],
        issuer: LEGACY_ISSUER,
        audience: LEGACY_AUDIENCE,
      });
      if (typeof payload === 'string' || typeof payload.sub !== 'string') throw new Error('token has no subject');
      return payload as LegacyTokenPayload;
    },
    jwks: () => ({ keys: published.map((k) => ({ ...k })) }),
  };
}

async function importTrustedKey(raw: object, index: number): Promise<{ key: KeyObject; jwk: JWK }> {
  const candidate = raw as Partial<JWK>;
  const where = `trusted key #${index}`;
  if (typeof candidate.kid !== 'string' || candidate.kid === '') throw new Error(`${where}: needs a "kid"`);
  if (candidate.kty !== 'RSA') throw new Error(`${where}: must be an RSA key (kty "RSA"), tokens are RS256 only`);
  let key: KeyObject;
  try {
    key = createPublicKey({ key: candidate as import('node:crypto').JsonWebKey, format: 'jwk' });
  } catch (err) {
    throw new Error(`${where}: not a usable RSA JWK (${(err as Error).message})`);
  }
  // Re-exported from the public half, so a private JWK passed by mistake is never published.
  return { key, jwk: { ...(await publicJwk(key)), kid: candidate.kid, alg: 'RS256', use: 'sig' } };
}

async function publicJwk(key: KeyObject): Promise<JWK> {
  const { kty, n, e } = await exportJWK(key);
  return { kty, n, e };
}
