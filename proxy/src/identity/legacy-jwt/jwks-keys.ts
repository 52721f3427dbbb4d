import { createLocalJWKSet, createRemoteJWKSet, errors, type JWTVerifyGetKey } from 'jose';

/** The issuer's key set could not be fetched and no earlier copy exists. */
export class JwksUnavailableError extends Error {
  constructor(cause: unknown) {
    super('the JSON Web Key Set could not be fetched', { cause });
    this.name = 'JwksUnavailableError';
  }
}

export interface JwksKeySourceOptions {
  /** Minimum time between refetches caused by an unknown `kid` (jose's cooldown). */
  cooldownMs?: number;
  /** Age after which the key set is refetched before use. */
  cacheMaxAgeMs?: number;
  /** Time limit of one fetch. */
  timeoutMs?: number;
  /** After a failed fetch, how long to answer from the last good copy before trying again. */
  retryAfterFailureMs?: number;
  now?: () => number;
}

/**
 * jose's remote key set (cached, refetched on an unknown `kid` with its cooldown), plus
 * stale-if-error: jose drops to "fetch failed" for every token once its copy is older than
 * `cacheMaxAgeMs` and the issuer is unreachable. Keys rarely change, so the last good copy keeps
 * known callers working through an outage, and one failed fetch is not repeated per request.
 */
export function createJwksKeySource(url: URL, opts: JwksKeySourceOptions = {}): JWTVerifyGetKey {
  const now = opts.now ?? Date.now;
  const retryMs = opts.retryAfterFailureMs ?? 10_000;
  const remote = createRemoteJWKSet(url, {
    cooldownDuration: opts.cooldownMs ?? 30_000,
    cacheMaxAge: opts.cacheMaxAgeMs ?? 600_000,
    timeoutDuration: opts.timeoutMs ?? 3_000,
  });
  let failedAt = -Infinity;
  let lastGood: JWTVerifyGetKey | undefined;
  let lastFailure: unknown;

  return async (header, token) => {
    if (now() - failedAt < retryMs) {
      if (lastGood) return lastGood(header, token);
      throw new JwksUnavailableError(lastFailure);
    }
    try {
      const key = await remote(header, token);
      lastGood = undefined;
      return key;
    } catch (err) {
      if (!isFetchFailure(err)) throw err;
      failedAt = now();
      lastFailure = err;
      const jwks = remote.jwks();
      if (!jwks) throw new JwksUnavailableError(err);
      lastGood = createLocalJWKSet(jwks);
      return lastGood(header, token);
    }
  };
}

/** Errors about the token's header are the token's problem; anything else came from fetching. */
function isFetchFailure(err: unknown): boolean {
  return !(
    err instanceof errors.JWKSNoMatchingKey ||
    err instanceof errors.JWKSMultipleMatchingKeys ||
    err instanceof errors.JOSENotSupported
  );
}
