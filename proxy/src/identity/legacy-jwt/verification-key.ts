import { createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';
import type { JSONWebKeySet, JWK } from 'jose';

/**
 * The key legacy tokens are checked with, and the algorithms that key may be used for. The
 * list is explicit and tied to the key's type: `none` never, HMAC only with a secret (an HMAC
 * "secret" that is a public key lets anyone sign), RSA algorithms only with RSA keys, each
 * ECDSA algorithm only with its curve.
 */
export type VerificationKey =
  | { kind: 'jwks'; url: string }
  | { kind: 'public-keys'; keys: PublicKeyEntry[] }
  | { kind: 'secret'; secret: KeyObject };

export interface PublicKeyEntry {
  key: KeyObject;
  /** From a JWK: lets tokens name their key (`kid`) when a file holds several. */
  jwk?: JWK;
}

export const HMAC_ALGORITHMS = ['HS256', 'HS384', 'HS512'] as const;
const RSA_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
const EC_ALGORITHMS: Record<string, string> = { prime256v1: 'ES256', secp384r1: 'ES384', secp521r1: 'ES512' };
const ED_ALGORITHMS = ['EdDSA', 'Ed25519'];
const ASYMMETRIC = new Set([...RSA_ALGORITHMS, ...Object.values(EC_ALGORITHMS), ...ED_ALGORITHMS]);

export type SecretEncoding = 'utf8' | 'base64' | 'base64url' | 'hex';

/** An HMAC secret as the legacy API holds it (its bytes, or their text encoding). */
export function secretKey(text: string, encoding: SecretEncoding): KeyObject {
  const bytes = Buffer.from(encoding === 'utf8' ? text : text.trim(), encoding);
  if (bytes.length === 0) throw new Error(`is empty once decoded as ${encoding}`);
  return createSecretKey(bytes);
}

/** A public key file: PEM (SPKI public key or X.509 certificate), one JWK, or a JWK set. */
export function publicKeysFrom(text: string): PublicKeyEntry[] {
  const trimmed = text.trim();
  if (trimmed.startsWith('-----BEGIN')) {
    if (/PRIVATE KEY-----/.test(trimmed)) throw new Error('holds a private key: give the proxy the public half only');
    return [{ key: publicKey(trimmed) }];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(trimmed);
  } catch {
    throw new Error('is neither a PEM public key nor a JWK (JSON)');
  }
  const jwks = parsed as Partial<JSONWebKeySet> & JWK;
  const jwkList: JWK[] = Array.isArray(jwks.keys) ? jwks.keys : [jwks];
  if (jwkList.length === 0) throw new Error('holds an empty key set');
  return jwkList.map((jwk) => {
    if (jwk.kty === 'oct') throw new Error('holds a symmetric (oct) key: an HMAC secret goes in LEGACY_JWT_SECRET or LEGACY_JWT_SECRET_FILE');
    if ('d' in jwk) throw new Error('holds a private key: give the proxy the public half only');
    return { key: publicKey(jwk), jwk };
  });
}

function publicKey(source: string | JWK): KeyObject {
  try {
    return typeof source === 'string' ? createPublicKey(source) : createPublicKey({ key: source as never, format: 'jwk' });
  } catch (err) {
    throw new Error(`is not a usable public key (${(err as Error).message})`);
  }
}

/** What a key verifies when LEGACY_JWT_ALGORITHMS is not set: today's RS256 for a key set, else the key's own. */
export function defaultAlgorithms(key: VerificationKey): string[] {
  if (key.kind === 'jwks') return ['RS256'];
  if (key.kind === 'secret') return ['HS256'];
  return [...new Set(key.keys.flatMap((k) => algorithmsOf(k.key)))];
}

/** Why these algorithms may not be used with this key, or undefined when they may. */
export function algorithmMismatch(algorithms: readonly string[], key: VerificationKey): string | undefined {
  if (algorithms.length === 0) return 'names no algorithm';
  const none = algorithms.find((a) => a.toLowerCase() === 'none');
  if (none) return '"none" is never accepted: an unsigned token proves nothing';
  const hmac = (HMAC_ALGORITHMS as readonly string[]).filter((a) => algorithms.includes(a));
  if (key.kind === 'secret') {
    const other = algorithms.filter((a) => !hmac.includes(a));
    return other.length ? `${other.join(', ')} cannot be checked with an HMAC secret (only ${HMAC_ALGORITHMS.join(', ')})` : undefined;
  }
  if (hmac.length) return `${hmac.join(', ')} (HMAC) needs a shared secret (LEGACY_JWT_SECRET): with a public key as the secret, anyone could sign`;
  const unknown = algorithms.filter((a) => !ASYMMETRIC.has(a));
  if (unknown.length) return `${unknown.join(', ')} is not a signature algorithm the proxy checks (${[...ASYMMETRIC].join(', ')})`;
  if (key.kind === 'jwks') return undefined;
  for (const entry of key.keys) {
    const fits = algorithmsOf(entry.key);
    if (!algorithms.some((a) => fits.includes(a))) {
      return `the ${describe(entry.key)} key${entry.jwk?.kid ? ` "${entry.jwk.kid}"` : ''} is for ${fits.join(', ') || 'no algorithm the proxy checks'}, not ${algorithms.join(', ')}`;
    }
  }
  return undefined;
}

/** The algorithms a public key may verify. RSA below 2048 bits verifies nothing (jose refuses it too). */
function algorithmsOf(key: KeyObject): string[] {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048 ? RSA_ALGORITHMS : [];
    case 'ec': {
      const alg = EC_ALGORITHMS[key.asymmetricKeyDetails?.namedCurve ?? ''];
      return alg ? [alg] : [];
    }
    case 'ed25519':
      return ED_ALGORITHMS;
    default:
      return [];
  }
}

function describe(key: KeyObject): string {
  const d = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') return `RSA ${d?.modulusLength ?? '?'}-bit`;
  if (key.asymmetricKeyType === 'ec') return `EC ${d?.namedCurve ?? '?'}`;
  return key.asymmetricKeyType ?? 'unknown';
}

/** RFC 7518 §3.2: an HMAC key at least as long as the hash. Shorter ones work, but are guessable offline. */
export function shortSecretWarning(secret: KeyObject, algorithms: readonly string[]): string | undefined {
  const bits = Math.max(...algorithms.map((a) => Number(a.slice(2))).filter(Number.isFinite));
  const have = (secret.symmetricKeySize ?? 0) * 8;
  return have < bits ? `the legacy token secret has ${have} bits, fewer than the ${bits} ${algorithms.join('/')} calls for (RFC 7518 §3.2): tokens signed with it can be forged by guessing it` : undefined;
}
