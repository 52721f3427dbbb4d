import { errors, jwtVerify, createLocalJWKSet, type JWTPayload, type JWTVerifyGetKey, type JWTVerifyOptions, type KeyObject } from 'jose';
import type { Caller } from '../../routing/route.ts';
import { callerFromClaims, DEFAULT_CLAIM_PATHS, type ClaimPaths } from './claim-path.ts';
import { createExpiringLru } from './expiring-lru.ts';
import { createJwksKeySource, JwksUnavailableError, type JwksKeySourceOptions } from './jwks-keys.ts';
import type { VerificationKey } from './verification-key.ts';

export type LegacyJwtFailure =
  | 'malformed'
  | 'alg'
  | 'signature'
  | 'expired'
  | 'claims'
  | 'unknown-kid'
  | 'jwks-unavailable'
  /** The legacy API's "who am I" endpoint said no (401/403) to an opaque token. */
  | 'rejected'
  /** The "who am I" endpoint could not be asked, or gave no usable answer (5xx, timeout). */
  | 'introspection-unavailable';

/** Failures that say nothing about the token: the proxy could not check it, for now. */
export function cannotVerifyNow(reason: LegacyJwtFailure): boolean {
  return reason === 'jwks-unavailable' || reason === 'introspection-unavailable';
}

export type LegacyJwtResult =
  | { ok: true; caller: Caller; expiresAt: number }
  | { ok: false; reason: LegacyJwtFailure };

/** Checks a legacy token: a JWT against keys (here), or an opaque one by asking the legacy API (introspection.ts). */
export interface LegacyJwtVerifier {
  /**
   * Never throws: every failure is a reason. `asSent` is the credential field as the client
   * sent it (TokenLocation.asSent), for checks that hand it back to the legacy API.
   */
  verify(token: string, asSent?: Record<string, string>): Promise<LegacyJwtResult>;
}

export interface LegacyJwtVerifierOptions {
  /** The legacy API's published key set; used unless `key` is given. */
  jwksUrl?: string;
  /** Keys configured directly: public keys from a file, or the HMAC secret. */
  key?: VerificationKey;
  /** Undefined: `iss` is not checked. */
  issuer?: string;
  /** Undefined: `aud` is not checked. */
  audience?: string;
  algorithms?: string[];
  /** Claims a token must carry (default `exp`); the user id claim always is. */
  requiredClaims?: string[];
  /** Where the user id, roles and username sit in the claims (default sub, role, name). */
  claims?: ClaimPaths;
  clockToleranceSec?: number;
  /** How many verified tokens to remember (each until its `exp`). */
  maxCachedTokens?: number;
  jwks?: Omit<JwksKeySourceOptions, 'now'>;
  now?: () => number;
}

// A token without `exp` (only when LEGACY_JWT_REQUIRED_CLAIMS lets one through) is remembered this long.
const NO_EXPIRY_MEMORY_MS = 300_000;

type Success = Extract<LegacyJwtResult, { ok: true }>;

/**
 * Verifies the legacy API's JWTs: against its published keys (JWKS), a public key file or
 * its HMAC secret. The algorithm list is explicit and fits the key (verification-key.ts: no
 * `none`, no HMAC with a public key as secret); `exp` and the user id are required by default.
 */
export function createLegacyJwtVerifier(opts: LegacyJwtVerifierOptions): LegacyJwtVerifier {
  const now = opts.now ?? Date.now;
  const keys = keySource(opts.key ?? { kind: 'jwks', url: opts.jwksUrl! }, opts, now);
  const claims = opts.claims ?? DEFAULT_CLAIM_PATHS;
  const verifyOptions: JWTVerifyOptions = {
    ...(opts.issuer !== undefined ? { issuer: opts.issuer } : {}),
    ...(opts.audience !== undefined ? { audience: opts.audience } : {}),
    algorithms: opts.algorithms ?? ['RS256'],
    clockTolerance: opts.clockToleranceSec ?? 30,
    requiredClaims: opts.requiredClaims ?? ['exp'],
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
        const caller = callerFromClaims(payload, claims, 'legacy-jwt');
        if (!caller) return { ok: false, reason: 'claims' };
        const expiresAt = typeof payload.exp === 'number' ? payload.exp * 1000 : now() + NO_EXPIRY_MEMORY_MS;
        // Shared by every request that presents this token: frozen, so no consumer can alter it for the others.
        const result: Success = Object.freeze({ ok: true, caller, expiresAt });
        verified.set(token, result, result.expiresAt);
        return result;
      } catch (err) {
        return { ok: false, reason: reasonFor(err) };
      }
    },
  };
}

async function verifyWith(token: string, keys: KeyInput, options: JWTVerifyOptions): Promise<JWTPayload> {
  try {
    // jose's overloads take a key or a key getter, not a value that may be either.
    const { payload } = typeof keys === 'function' ? await jwtVerify(token, keys, options) : await jwtVerify(token, keys, options);
    return payload;
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

type KeyInput = JWTVerifyGetKey | KeyObject;

function keySource(key: VerificationKey, opts: LegacyJwtVerifierOptions, now: () => number): KeyInput {
  switch (key.kind) {
    case 'jwks':
      return createJwksKeySource(new URL(key.url), { ...opts.jwks, now });
    case 'secret':
      return key.secret;
    case 'public-keys':
      // Several keys in a file: tokens name theirs by `kid`, as with a published key set.
      if (key.keys.length === 1) return key.keys[0]!.key;
      return createLocalJWKSet({ keys: key.keys.map((k) => k.jwk!) });
  }
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
