import { generateKeyPair, exportJWK, SignJWT, type JWK, type CryptoKey } from 'jose';

/**
 * Legacy-style JWTs for as many users as a test needs (the stand-in seeds only a handful):
 * a key the stand-in is told to trust, so its JWKS — which the proxy reads — carries it too.
 */
export interface UserTokens {
  publicJwk: JWK;
  tokenFor(userId: string, role?: string): Promise<string>;
}

export async function createUserTokens(kid = 'test-users'): Promise<UserTokens> {
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  return {
    publicJwk,
    tokenFor: (userId, role = 'STUDENT') => sign(privateKey, kid, userId, role),
  };
}

function sign(key: CryptoKey, kid: string, sub: string, role: string): Promise<string> {
  return new SignJWT({ name: sub, role })
    .setProtectedHeader({ alg: 'RS256', kid })
    .setIssuer('https://legacy.education.example')
    .setAudience('education-platform')
    .setSubject(sub)
    .setIssuedAt()
    .setExpirationTime('1h')
    .sign(key);
}
