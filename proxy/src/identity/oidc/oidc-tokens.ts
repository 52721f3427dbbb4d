import type { Keyv } from 'keyv';
import type { Logger } from 'pino';
import * as oidc from 'openid-client';
import { createLocks, LockBusyError } from '../../storage/lock.ts';
import type { OidcClient } from './oidc-client.ts';

/** The provider's tokens for one session. They stay on the server; the browser never sees them. */
export interface OidcTokens {
  accessToken: string;
  refreshToken?: string;
  idToken?: string;
  /** ms since the epoch; absent when the provider did not say. */
  expiresAt?: number;
}

export interface TokenVault {
  save(sessionKey: string, response: oidc.TokenEndpointResponse): Promise<OidcTokens>;
  /**
   * The session's tokens, refreshed first when the access token expires within the margin.
   * Null when there are none, or the provider refused the refresh (the grant is over).
   */
  getFreshTokens(sessionKey: string): Promise<OidcTokens | null>;
  /** Forgets the session's tokens and returns what was stored. */
  remove(sessionKey: string): Promise<OidcTokens | undefined>;
}

export interface TokenVaultOptions {
  keyv: Keyv;
  client: OidcClient;
  log: Logger;
  /** How long tokens are kept: as long as a session can live. Default 24 h. */
  ttlMs?: number;
  /** Refresh when the access token expires within this. Default 60 s. */
  refreshMarginMs?: number;
  /**
   * How long to wait for a refresh of the same session another instance has under way. Default
   * 15 s: longer than the provider's own request timeout (10 s), so a refresh in progress ends first.
   */
  refreshWaitMs?: number;
  now?: () => number;
}

/** A refresh holds its session's lock at most this long, so a crashed instance blocks no one for long. */
const REFRESH_LEASE_MS = 30_000;

export function createTokenVault(opts: TokenVaultOptions): TokenVault {
  const now = opts.now ?? Date.now;
  const ttlMs = opts.ttlMs ?? 24 * 3_600_000;
  const marginMs = opts.refreshMarginMs ?? 60_000;
  const key = (sessionKey: string) => `tokens:${sessionKey}`;
  // One refresh per session at a time: with rotating refresh tokens a second, concurrent refresh
  // would present a token the provider has just retired (and it may then end the whole grant).
  // Within this process callers share one promise; across instances a lock in the token store.
  const refreshing = new Map<string, Promise<OidcTokens | null>>();
  const locks = createLocks(opts.keyv, { leaseMs: REFRESH_LEASE_MS, waitMs: opts.refreshWaitMs ?? 15_000 });
  const due = (tokens: OidcTokens) => tokens.expiresAt !== undefined && tokens.expiresAt - now() <= marginMs;

  function fromResponse(response: oidc.TokenEndpointResponse, previous?: OidcTokens): OidcTokens {
    const refreshToken = response.refresh_token ?? previous?.refreshToken;
    const idToken = response.id_token ?? previous?.idToken;
    return {
      accessToken: response.access_token,
      ...(refreshToken !== undefined ? { refreshToken } : {}),
      ...(idToken !== undefined ? { idToken } : {}),
      ...(typeof response.expires_in === 'number' ? { expiresAt: now() + response.expires_in * 1000 } : {}),
    };
  }

  async function store(sessionKey: string, tokens: OidcTokens): Promise<OidcTokens> {
    if (!(await opts.keyv.set(key(sessionKey), tokens, ttlMs))) throw new Error('the token store refused a write');
    return tokens;
  }

  async function refresh(sessionKey: string, current: OidcTokens): Promise<OidcTokens | null> {
    if (!current.refreshToken) return current.expiresAt !== undefined && current.expiresAt <= now() ? null : current;
    try {
      const config = await opts.client.configuration();
      const response = await oidc.refreshTokenGrant(config, current.refreshToken);
      return await store(sessionKey, fromResponse(response, current));
    } catch (err) {
      if (err instanceof oidc.ResponseBodyError) {
        // invalid_grant and friends: the provider has ended this grant. Only the error code is logged.
        opts.log.info({ event: 'oidc.refresh.refused', oauthError: err.error }, 'the identity provider refused a token refresh');
        await opts.keyv.delete(key(sessionKey));
        return null;
      }
      opts.log.warn({ event: 'oidc.refresh.failed', errorName: (err as Error).name }, 'could not refresh tokens');
      // The provider is unreachable: a still valid access token is better than none.
      if (current.expiresAt !== undefined && current.expiresAt > now()) return current;
      throw err;
    }
  }

  async function refreshOnce(sessionKey: string, seen: OidcTokens): Promise<OidcTokens | null> {
    try {
      return await locks.withLock(`refresh:${sessionKey}`, async () => {
        // Another instance may have refreshed while this one waited: its tokens are the live ones.
        const latest = await opts.keyv.get<OidcTokens>(key(sessionKey));
        if (!latest) return null;
        return due(latest) ? refresh(sessionKey, latest) : latest;
      });
    } catch (err) {
      if (!(err instanceof LockBusyError)) throw err;
      const latest = await opts.keyv.get<OidcTokens>(key(sessionKey));
      if (latest && !due(latest)) return latest;
      // The other refresh is slow: an access token that still works will do meanwhile.
      if (seen.expiresAt !== undefined && seen.expiresAt > now()) return seen;
      throw err;
    }
  }

  return {
    save: (sessionKey, response) => store(sessionKey, fromResponse(response)),
    async getFreshTokens(sessionKey) {
      const inFlight = refreshing.get(sessionKey);
      if (inFlight) return inFlight;
      const current = await opts.keyv.get<OidcTokens>(key(sessionKey));
      if (!current) return null;
      if (!due(current)) return current;
      const started = refreshing.get(sessionKey); // by a call that overtook us while we read
      if (started) return started;
      const pending = refreshOnce(sessionKey, current).finally(() => refreshing.delete(sessionKey));
      refreshing.set(sessionKey, pending);
      return pending;
    },
    async remove(sessionKey) {
      const tokens = (await opts.keyv.get<OidcTokens>(key(sessionKey))) ?? undefined;
      await opts.keyv.delete(key(sessionKey));
      return tokens;
    },
  };
}
