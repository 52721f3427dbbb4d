import { readFileSync } from 'node:fs';
import type { KeyObject } from 'node:crypto';
import { DEFAULT_CLAIM_PATHS, type ClaimPaths } from './claim-path.ts';
import { DEFAULT_TOKEN_LOCATION, type TokenLocationSpec } from './token-location.ts';
import {
  algorithmMismatch,
  defaultAlgorithms,
  HMAC_ALGORITHMS,
  publicKeysFrom,
  secretKey,
  shortSecretWarning,
  type SecretEncoding,
  type VerificationKey,
} from './verification-key.ts';

/**
 * The legacy API's credential, as configuration: where the token travels, how it is checked
 * (a JWT against keys, or an opaque token through a "who am I" call), which claims say who the
 * caller is, and how tokens minted for session callers look. Built once at start-up from the
 * environment; every problem names its variable.
 */
export interface LegacyTokenSettings {
  location: TokenLocationSpec;
  verification: JwtVerification | IntrospectionVerification;
  claims: ClaimPaths;
  /** `iss` and `aud`: checked in legacy JWTs and set in minted ones; undefined (the variable is `none`): neither. */
  issuer: string | undefined;
  audience: string | undefined;
  /** How tokens for session callers are signed: today's RS256 key, or the legacy API's own HMAC secret. */
  minting: { algorithm: 'RS256' } | { algorithm: (typeof HMAC_ALGORITHMS)[number]; secret: KeyObject };
  /** Worth saying at start-up, not worth refusing it (logged once). */
  warnings: string[];
}

export interface JwtVerification {
  mode: 'jwt';
  key: VerificationKey;
  algorithms: string[];
  requiredClaims: string[];
  clockToleranceSec: number;
}

export interface IntrospectionVerification {
  mode: 'introspection';
  url: string;
  cacheSec: number;
  timeoutMs: number;
}

/** The variables this reads, as config.ts's schema parsed them (undefined: not set). */
export interface LegacyTokenVariables {
  LEGACY_URL: string;
  LEGACY_TOKEN_SCHEMES?: string;
  LEGACY_TOKEN_HEADER?: string;
  LEGACY_TOKEN_COOKIE?: string;
  LEGACY_JWKS_URL?: string;
  LEGACY_JWT_PUBLIC_KEY_FILE?: string;
  LEGACY_JWT_SECRET?: string;
  LEGACY_JWT_SECRET_FILE?: string;
  LEGACY_JWT_SECRET_ENCODING: SecretEncoding;
  LEGACY_JWT_ALGORITHMS?: string;
  LEGACY_JWT_ISSUER: string;
  LEGACY_JWT_AUDIENCE: string;
  LEGACY_JWT_REQUIRED_CLAIMS: string;
  LEGACY_JWT_CLOCK_SKEW_S: number;
  LEGACY_USER_ID_CLAIM?: string;
  LEGACY_ROLES_CLAIM?: string;
  LEGACY_USERNAME_CLAIM?: string;
  LEGACY_INTROSPECTION_URL?: string;
  LEGACY_INTROSPECTION_CACHE_S: number;
  LEGACY_INTROSPECTION_TIMEOUT_MS: number;
  MINT_PRIVATE_KEY?: string;
}

/** An Authorization scheme is an RFC 9110 token. */
const SCHEME = /^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/;
/** Header fields the token cannot live in: the request's framing, the proxy's own, or its cookies. */
const NOT_A_TOKEN_HEADER = new Set([
  'authorization', 'proxy-authorization', 'cookie', 'host', 'content-length', 'transfer-encoding', 'connection',
  'keep-alive', 'te', 'trailer', 'upgrade', 'expect', 'x-correlation-id', 'forwarded',
]);

export type SettingsOutcome = { ok: true; settings: LegacyTokenSettings } | { ok: false; problems: string[] };

export function legacyTokenSettings(v: LegacyTokenVariables, readFile: (file: string) => string = (f) => readFileSync(f, 'utf8')): SettingsOutcome {
  const problems: string[] = [];
  const warnings: string[] = [];
  const problem = (name: keyof LegacyTokenVariables, message: string, secret = false) =>
    problems.push(`${name}=${secret ? '(hidden)' : JSON.stringify(v[name] ?? '')}: ${message}`);

  const location = tokenLocation(v, problem);
  const claims: ClaimPaths = {
    userId: v.LEGACY_USER_ID_CLAIM ?? DEFAULT_CLAIM_PATHS.userId,
    roles: v.LEGACY_ROLES_CLAIM ?? DEFAULT_CLAIM_PATHS.roles,
    username: v.LEGACY_USERNAME_CLAIM ?? DEFAULT_CLAIM_PATHS.username,
  };

  const sources = (['LEGACY_JWKS_URL', 'LEGACY_JWT_PUBLIC_KEY_FILE', 'LEGACY_JWT_SECRET', 'LEGACY_JWT_SECRET_FILE', 'LEGACY_INTROSPECTION_URL'] as const).filter(
    (name) => v[name] !== undefined,
  );
  if (sources.length > 1) {
    problems.push(`${sources.join(', ')}: set one way to check legacy tokens, not ${sources.length}`);
    return { ok: false, problems };
  }

  let verification: LegacyTokenSettings['verification'] | undefined;
  let minting: LegacyTokenSettings['minting'] = { algorithm: 'RS256' };
  if (v.LEGACY_INTROSPECTION_URL !== undefined) {
    if (v.LEGACY_JWT_ALGORITHMS !== undefined) problem('LEGACY_JWT_ALGORITHMS', 'opaque tokens (LEGACY_INTROSPECTION_URL) are not checked by algorithm; unset it');
    const url = introspectionUrl(v.LEGACY_INTROSPECTION_URL, v.LEGACY_URL);
    if (!url) problem('LEGACY_INTROSPECTION_URL', 'must be an http(s) URL or a path on the legacy API starting with "/", e.g. /api/user');
    else verification = { mode: 'introspection', url, cacheSec: v.LEGACY_INTROSPECTION_CACHE_S, timeoutMs: v.LEGACY_INTROSPECTION_TIMEOUT_MS };
  } else {
    const key = verificationKey(v, readFile, problem);
    if (key) {
      const algorithms = v.LEGACY_JWT_ALGORITHMS === undefined ? defaultAlgorithms(key) : list(v.LEGACY_JWT_ALGORITHMS);
      const mismatch = algorithmMismatch(algorithms, key);
      if (mismatch) problem('LEGACY_JWT_ALGORITHMS', v.LEGACY_JWT_ALGORITHMS === undefined ? `not set, and the key fits none: ${mismatch}` : mismatch);
      const required = v.LEGACY_JWT_REQUIRED_CLAIMS.trim().toLowerCase() === 'none' ? [] : list(v.LEGACY_JWT_REQUIRED_CLAIMS);
      const badClaim = required.find((c) => !/^[A-Za-z0-9_$:-]+$/.test(c));
      if (badClaim !== undefined) problem('LEGACY_JWT_REQUIRED_CLAIMS', `"${badClaim}" is not a claim name; give a comma list (exp,iat) or none`);
      verification = {
        mode: 'jwt',
        key,
        algorithms,
        requiredClaims: required,
        clockToleranceSec: v.LEGACY_JWT_CLOCK_SKEW_S,
      };
      if (key.kind === 'secret' && !mismatch) {
        // The legacy API signs with this secret and accepts only what it signs: so does the proxy.
        minting = { algorithm: algorithms[0] as (typeof HMAC_ALGORITHMS)[number], secret: key.secret };
        const short = shortSecretWarning(key.secret, algorithms);
        if (short) warnings.push(short);
        if (v.MINT_PRIVATE_KEY !== undefined) problem('MINT_PRIVATE_KEY', 'not used with an HMAC secret: tokens for session callers are signed with the legacy API\'s own secret; unset it', true);
      }
    }
  }

  if (problems.length || !verification) return { ok: false, problems };
  const contract = { issuer: unlessNone(v.LEGACY_JWT_ISSUER), audience: unlessNone(v.LEGACY_JWT_AUDIENCE) };
  return { ok: true, settings: { location, verification, claims, ...contract, minting, warnings } };
}

function tokenLocation(v: LegacyTokenVariables, problem: (name: keyof LegacyTokenVariables, message: string) => void): TokenLocationSpec {
  const set = (['LEGACY_TOKEN_SCHEMES', 'LEGACY_TOKEN_HEADER', 'LEGACY_TOKEN_COOKIE'] as const).filter((name) => v[name] !== undefined);
  if (set.length > 1) {
    problem(set[1]!, `the token travels in one place: ${set.join(' and ')} are both set`);
    return DEFAULT_TOKEN_LOCATION;
  }
  if (v.LEGACY_TOKEN_HEADER !== undefined) {
    const name = v.LEGACY_TOKEN_HEADER.toLowerCase();
    if (NOT_A_TOKEN_HEADER.has(name) || name.startsWith('x-forwarded-')) {
      problem('LEGACY_TOKEN_HEADER', name === 'authorization' ? 'for Authorization, set LEGACY_TOKEN_SCHEMES (e.g. Bearer,Token)' : 'is a header the proxy or HTTP itself decides; name the legacy API\'s own token header');
    }
    return { kind: 'header', name };
  }
  if (v.LEGACY_TOKEN_COOKIE !== undefined) return { kind: 'cookie', name: v.LEGACY_TOKEN_COOKIE };
  if (v.LEGACY_TOKEN_SCHEMES === undefined) return DEFAULT_TOKEN_LOCATION;
  const schemes = list(v.LEGACY_TOKEN_SCHEMES);
  const bad = schemes.find((s) => !SCHEME.test(s));
  if (schemes.length === 0 || bad !== undefined) problem('LEGACY_TOKEN_SCHEMES', 'must be a comma list of Authorization schemes, e.g. Bearer or Token,Bearer (the first is used for minted tokens)');
  if (schemes.some((s) => s.toLowerCase() === 'basic')) problem('LEGACY_TOKEN_SCHEMES', 'Basic carries a password, not a token');
  return { kind: 'authorization', schemes };
}

function verificationKey(
  v: LegacyTokenVariables,
  readFile: (file: string) => string,
  problem: (name: keyof LegacyTokenVariables, message: string, secret?: boolean) => void,
): VerificationKey | undefined {
  if (v.LEGACY_JWT_SECRET !== undefined || v.LEGACY_JWT_SECRET_FILE !== undefined) {
    const name = v.LEGACY_JWT_SECRET !== undefined ? 'LEGACY_JWT_SECRET' : 'LEGACY_JWT_SECRET_FILE';
    try {
      // A file's trailing newline is the editor's, not the secret's.
      const text = v.LEGACY_JWT_SECRET ?? readFile(v.LEGACY_JWT_SECRET_FILE!).replace(/\r?\n$/, '');
      return { kind: 'secret', secret: secretKey(text, v.LEGACY_JWT_SECRET_ENCODING) };
    } catch (err) {
      problem(name, `${readMessage(err)} (LEGACY_JWT_SECRET_ENCODING=${v.LEGACY_JWT_SECRET_ENCODING})`, name === 'LEGACY_JWT_SECRET');
      return undefined;
    }
  }
  if (v.LEGACY_JWT_PUBLIC_KEY_FILE !== undefined) {
    try {
      return { kind: 'public-keys', keys: publicKeysFrom(readFile(v.LEGACY_JWT_PUBLIC_KEY_FILE)) };
    } catch (err) {
      problem('LEGACY_JWT_PUBLIC_KEY_FILE', readMessage(err));
      return undefined;
    }
  }
  return { kind: 'jwks', url: v.LEGACY_JWKS_URL ?? `${v.LEGACY_URL}/.well-known/jwks.json` };
}

/** An absolute URL, or a path resolved against the legacy API (its base path kept). */
function introspectionUrl(value: string, legacyUrl: string): string | undefined {
  if (value.startsWith('/') && !value.startsWith('//')) return legacyUrl + value;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : undefined;
  } catch {
    return undefined;
  }
}

function readMessage(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  if (e.code === 'ENOENT') return 'no such file';
  if (e.code === 'EACCES') return 'the file cannot be read (permissions)';
  return e.message;
}

const unlessNone = (value: string) => (value.trim().toLowerCase() === 'none' ? undefined : value);

function list(text: string): string[] {
  return text.split(',').map((s) => s.trim()).filter(Boolean);
}
