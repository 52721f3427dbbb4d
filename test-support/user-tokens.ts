import { generateKeyPair, exportJWK, SignJWT, type JWK, type CryptoKey } from 'jose';

/**
 * Legacy-style JWTs for as many users as a test needs (the stand-in seeds only a handful):
 * a key the stand-in is told to trust, so its JWKS — which the proxy reads — carries it too.
 */
export interface UserTokens {
  publicJwk: JWK;
  /** `claims` overrides iss/aud/exp (seconds from now) to forge near-misses. */
  tokenFor(userId: string, role?: string, claims?: { iss?: string; aud?: string; expInSec?: number }): Promise<string>;
}

export async function createUserTokens(kid = 'test-users'): Promise<UserTokens> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    publicJwk,
    tokenFor: (userId, role = 'STUDENT', claims = {}) => sign(privateKey, kid, userId, role, claims),
  };
}

function sign(key: CryptoKey, kid: string, sub: string, role: string, claims: { iss?: string; aud?: string; expInSec?: number }): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ name: sub, role })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer(claims.iss ?? 'https://legacy.education.example')
    .setAudience(claims.aud ?? 'education-platform')
    .setSubject(sub)
    .setIssuedAt(now - 7200)
    .setExpirationTime(now + (claims.expInSec ?? 3600))
    .sign(key);
}
