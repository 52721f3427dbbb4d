import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { promisify } from 'node:util';
import { exportJWK, SignJWT, type JWK } from 'jose';
import type { Caller } from '../../routing/route.ts';
import { DEFAULT_CLAIM_PATHS, writePath, type ClaimPaths } from './claim-path.ts';
import { createExpiringLru } from './expiring-lru.ts';

export interface LegacyTokenMinterOptions {
  /** PKCS#8 or PKCS#1 PEM of an RSA key (2048 bits or more). Absent: a throwaway dev key. */
  privateKeyPem?: string;
  kid: string;
  /** The legacy API's own HMAC secret: tokens are signed with it (no RSA key, nothing published). */
  hmac?: { algorithm: 'HS256' | 'HS384' | 'HS512'; secret: KeyObject };
  /** Undefined: no `iss` (the legacy API does not check one). */
  issuer?: string;
  /** Undefined: no `aud`. */
  audience?: string;
  /** Where the legacy API reads the user id, role and username (default sub, role, name). */
  claims?: ClaimPaths;
  lifetimeSec?: number;
  /** A cached token is handed out until this long before its expiry, then a fresh one is minted. */
  reuseMarginSec?: number;
  maxCachedTokens?: number;
  log?: { warn(obj: object, msg: string): void };
  now?: () => number;
}

export interface LegacyTokenMinter {
  /** A bearer JWT the legacy API accepts for this caller. Never reaches the browser. */
  tokenFor(caller: Caller): Promise<string>;
  /** The public half, for the legacy API's trusted keys (a second JWKS entry); none for an HMAC secret. */
  publicJwk(): Promise<JWK | undefined>;
}

const ALG = 'RS256';
const generateRsaKeyPair = promisify(generateKeyPair);

/**
 * The legacy API only understands its own JWTs. For a cookie-session caller the proxy signs a
 * short-lived one under the same contract (issuer, audience, where the user id sits): with its
 * own RSA key, which the legacy API is told to trust, or with the legacy API's own HMAC secret.
 */
export function createLegacyTokenMinter(opts: LegacyTokenMinterOptions): LegacyTokenMinter {
  const now = opts.now ?? Date.now;
  const lifetimeSec = opts.lifetimeSec ?? 300;
  const reuseMarginSec = opts.reuseMarginSec ?? 60;
  if (!(lifetimeSec > 0) || !(reuseMarginSec >= 0) || reuseMarginSec >= lifetimeSec) {
    throw new Error(`legacy token lifetime (${lifetimeSec}s) must exceed its reuse margin (${reuseMarginSec}s)`);
  }
  const alg = opts.hmac?.algorithm ?? ALG;
  const claims = opts.claims ?? DEFAULT_CLAIM_PATHS;
  // A configured key is checked now, so a bad PEM fails the start, not the first request.
  const privateKey: Promise<KeyObject> = opts.hmac
    ? Promise.resolve(opts.hmac.secret)
    : opts.privateKeyPem
    ? Promise.resolve(loadRsaPrivateKey(opts.privateKeyPem))
    : generateRsaKeyPair('rsa', { modulusLength: 2048 }).then(({ privateKey: key }) => {
        const log = opts.log ?? { warn: (_obj: object, msg: string) => console.warn(msg) };
        log.warn(
          { kid: opts.kid },
          'no private key configured for minting legacy tokens: generated a throwaway RSA key (development only; ' +
            'the legacy API must trust its public JWK, and a restart makes a new one)',
        );
        return key;
      });
  const minted = createExpiringLru<string>(opts.maxCachedTokens ?? 10_000, now);

  return {
    async tokenFor(caller) {
      const role = caller.roles[0];
      const cacheKey = [caller.userId, caller.username ?? '', role ?? ''].join('\u0000');
      const cached = minted.get(cacheKey);
      if (cached) return cached;
      const issuedAt = Math.floor(now() / 1000);
      const expiresAt = issuedAt + lifetimeSec;
      const jwt = new SignJWT(claimsFor(caller, claims));
      if (opts.issuer !== undefined) jwt.setIssuer(opts.issuer);
      if (opts.audience !== undefined) jwt.setAudience(opts.audience);
      const token = await jwt
        .setProtectedHeader(opts.hmac ? { alg, typ: 'JWT' } : { alg, kid: opts.kid, typ: 'JWT' })
        .setIssuedAt(issuedAt)
        .setExpirationTime(expiresAt)
        .sign(await privateKey);
      minted.set(cacheKey, token, (expiresAt - reuseMarginSec) * 1000);
      return token;
    },
    async publicJwk() {
      if (opts.hmac) return undefined;
      return { ...(await exportJWK(createPublicKey(await privateKey))), kid: opts.kid, alg: ALG, use: 'sig' };
    },
  };
}

/**
 * The minted claims, at the legacy API's own paths. A user id that is a plain decimal number
 * goes in as a number under any claim but `sub` (RFC 7519 makes `sub` a string): APIs that put
 * `"id": 42` in their tokens read it back as one.
 */
function claimsFor(caller: Caller, paths: ClaimPaths): Record<string, unknown> {
  const claims: Record<string, unknown> = {};
  const id = paths.userId !== 'sub' && /^(0|[1-9]\d{0,14})$/.test(caller.userId) ? Number(caller.userId) : caller.userId;
  if (caller.username !== undefined) writePath(claims, paths.username, caller.username);
  if (caller.roles[0] !== undefined) writePath(claims, paths.roles, caller.roles[0]);
  writePath(claims, paths.userId, id);
  return claims;
}

/** For the start script: a key pair to hand to both the proxy and the legacy stand-in. */
export async function generateDevKeyPair(kid?: string): Promise<{ privateKeyPem: string; publicJwk: JWK }> {
  const { privateKey, publicKey } = await generateRsaKeyPair('rsa', { modulusLength: 2048 });
  return {
    privateKeyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    publicJwk: { ...(await exportJWK(publicKey)), ...(kid ? { kid } : {}), alg: ALG, use: 'sig' },
  };
}

function loadRsaPrivateKey(pem: string): KeyObject {
  const key = createPrivateKey(pem);
  const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
  if (key.asymmetricKeyType !== 'rsa' || bits < 2048) {
    throw new Error('the legacy token signing key must be an RSA private key of at least 2048 bits');
  }
  return key;
}
