import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { ConduitUser } from './seed.ts';

export type ConduitTokenKind = 'jwt' | 'opaque';

/** The reference implementation's lifetime: 60 days. */
export const CONDUIT_TOKEN_TTL_SEC = 60 * 24 * 60 * 60;
/** 256 bits, the size of an HS256 output: a shorter HMAC secret is guessable offline. */
export const MIN_SECRET_BYTES = 32;

/** Who a token names, as this API reads it. */
export interface TokenClaims {
  id: string;
  username?: string;
}

export interface ConduitTokens {
  kind: ConduitTokenKind;
  issue(user: ConduitUser, expiresInSec?: number): string;
  /** Throws when this API would refuse the token. */
  claimsOf(token: string): TokenClaims;
  /** Opaque tokens only: forget one, as a server-side logout would. */
  revoke(token: string): void;
}

export function assertUsableSecret(secret: string): void {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES)
    throw new Error(`the HS256 secret must be at least ${MIN_SECRET_BYTES} bytes, got ${Buffer.byteLength(secret)}`);
}

/**
 * HS256 with a shared secret, signed and checked with jsonwebtoken as an old codebase
 * would: claims `id`, `username`, `exp`; no `iss`, no `aud`, no `kid`. Any token signed with
 * the secret is accepted, so a party that holds it (the proxy) can mint tokens this API
 * takes as its own. `exp` is required, so an everlasting minted token is refused.
 */
export function createJwtTokens(secret: string): ConduitTokens {
  assertUsableSecret(secret);
  return {
    kind: 'jwt',
    issue(user, expiresInSec = CONDUIT_TOKEN_TTL_SEC) {
      return jwt.sign({ id: user.id, username: user.username }, secret, { algorithm: 'HS256', expiresIn: expiresInSec });
    },
    claimsOf(token) {
      const payload = jwt.verify(token, secret, { algorithms: ['HS256'] });
      if (typeof payload === 'string') throw new Error('token payload is not a JSON object');
      if (typeof payload.exp !== 'number') throw new Error('token has no exp');
      if (typeof payload.id !== 'string') throw new Error('token has no string id claim');
      if (payload.username !== undefined && typeof payload.username !== 'string') throw new Error('token username is not a string');
      return { id: payload.id, ...(payload.username !== undefined ? { username: payload.username as string } : {}) };
    },
    revoke() {
      throw new Error('a JWT cannot be revoked: it is valid until it expires');
    },
  };
}

/**
 * Random strings that mean nothing outside this server: only a call back to it (GET
 * /api/user) says whom one names. No dots, so nothing mistakes one for a JWT.
 */
export function createOpaqueTokens(): ConduitTokens {
  const store = new Map<string, { user: ConduitUser; expiresAt: number }>();
  return {
    kind: 'opaque',
    issue(user, expiresInSec = CONDUIT_TOKEN_TTL_SEC) {
      const token = randomBytes(24).toString('base64url');
      store.set(token, { user, expiresAt: Date.now() + expiresInSec * 1000 });
      return token;
    },
    claimsOf(token) {
      const entry = store.get(token);
      if (!entry) throw new Error('unknown token');
      if (entry.expiresAt <= Date.now()) {
        store.delete(token);
        throw new Error('token expired');
      }
      return { id: entry.user.id, username: entry.user.username };
    },
    revoke(token) {
      store.delete(token);
    },
  };
}
