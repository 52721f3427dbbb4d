import { errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, type KeyObject } from 'jose';
import type { Caller } from '../../routing/route.ts';
import { createExpiringLru } from './expiring-lru.ts';
import { createJwksKeySource, JwksUnavailableError, type JwksKeySourceOptions } from './jwks-keys.ts';

export type LegacyJwtFailure =
  | 'malformed'
  | 'alg'
  | 'signature'
  | 'expired'
  | 'claims'
  | 'unknown-kid'
  | 'jwks-unavailable';

export type LegacyJwtResult =
  | { ok: true; caller: Caller; expiresAt: number }
  | { ok: false; reason: LegacyJwtFailure };

export interface LegacyJwtVerifier {
  /** Never throws: every failure is a reason. */
  verify(token: string): Promise<LegacyJwtResult>;
}

export interface LegacyJwtVerifierOptions {
  jwksUrl: string;
  issuer: string;
  audience: string;
  algorithms?: string[];
  clockToleranceSec?: number;
  /** How many verified tokens to remember (each until its `exp`). */
  maxCachedTokens?: number;
  jwks?: Omit<JwksKeySourceOptions, 'now'>;
  now?: () => number;
}

type Success = Extract<LegacyJwtResult, { ok: true }>;

/**
 * Verifies the legacy API's bearer JWTs against its published keys. The algorithm list is
 * explicit (no `none`, no HMAC with a public key as secret); `exp` and `sub` are required.
 */
export function createLegacyJwtVerifier(opts: LegacyJwtVerifierOptions): LegacyJwtVerifier {
  const now = opts.now ?? Date.now;
  const keys = createJwksKeySource(new URL(opts.jwksUrl), { ...opts.jwks, now });
  const verifyOptions: JWTVerifyOptions = {
    issuer: opts.issuer,
    audience: opts.audience,
    algorithms: opts.algorithms ?? ['RS256'],
    clockTolerance: opts.clockToleranceSec ?? 30,
    requiredClaims: ['exp', 'sub'],
  };
  // A browser sends the same token on every request: verify it once, then remember it until
  // its expiry. Failures are not remembered, so garbage cannot crowd out good entries.
  const verified = createExpiringLru<Success>(opts.maxCachedTokens ?? 10_000, now);

  return {
    async verify(token) {
      const hit = verified.get(token);
      if (hit) return hit;
      try {
        const payload = await verifyWith(token, keys, { ...verifyOptions, currentDate: new Date(now()) });
        const caller = callerFrom(payload);
        if (!caller) return { ok: false, reason: 'claims' };
        // Shared by every request that presents this token: frozen, so no consumer can alter it for the others.
        const result: Success = Object.freeze({ ok: true, caller, expiresAt: (payload.exp as number) * 1000 });
        verified.set(token, result, result.expiresAt);
        return result;
      } catch (err) {
        return { ok: false, reason: reasonFor(err) };
      }
    },
  };
}

async function verifyWith(token: string, keys: JWTVerifyGetKey, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    return (await jwtVerify(token, keys, options)).payload;
  } catch (err) {
    // A token without `kid` while the set holds several usable keys (during a rotation):
    // jose hands back the candidates; the first that verifies wins.
    if (!(err instanceof errors.JWKSMultipleMatchingKeys)) throw err;
    const candidates = err as errors.JWKSMultipleMatchingKeys & AsyncIterable<KeyObject | CryptoKey>;
    for await (const key of candidates) {
      try {
        return (await jwtVerify(token, key, options)).payload;
      } catch (candidateErr) {
        if (!(candidateErr instanceof errors.JWSSignatureVerificationFailed)) throw candidateErr;
      }
    }
    throw new errors.JWSSignatureVerificationFailed();
  }
}

function callerFrom(payload: JWTPayload): Caller | undefined {
  if (typeof payload.sub !== 'string' || payload.sub === '') return undefined;
  const role = payload['role'];
  const roles = typeof role === 'string' ? [role] : Array.isArray(role) ? role.filter((r) => typeof r === 'string') : [];
  const name = payload['name'];
  return Object.freeze({
    userId: payload.sub,
    ...(typeof name === 'string' ? { username: name } : {}),
    roles: Object.freeze(roles) as string[],
    via: 'legacy-jwt',
  });
}

function reasonFor(err: unknown): LegacyJwtFailure {
  if (err instanceof JwksUnavailableError) return 'jwks-unavailable';
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) return 'claims';
  if (err instanceof errors.JOSEAlgNotAllowed) return 'alg';
  if (err instanceof errors.JWSSignatureVerificationFailed) return 'signature';
  if (err instanceof errors.JWKSNoMatchingKey) return 'unknown-kid';
  // Unsupported `alg` for a key set (HS256 and friends slip past the list only if configured).
  if (err instanceof errors.JOSENotSupported) return 'alg';
  return 'malformed';
}
