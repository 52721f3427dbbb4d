import type { IncomingMessage } from 'node:http';
import type { Caller } from '../../routing/route.ts';
import type { LegacyTokenMinter } from './mint-legacy-token.ts';

/**
 * What the legacy API is shown for a caller. A legacy-JWT caller's own header goes on
 * unchanged; a cookie-session caller has no JWT, so the proxy mints a short-lived one the
 * legacy API trusts. The browser never sees it, and the proxy's own cookie never leaves.
 */
export interface LegacyCredentials {
  /** The Authorization value for calls made on the caller's behalf (migrated handlers). */
  authorizationFor(caller: Caller, req: IncomingMessage): Promise<string | undefined>;
  /** Rewrites a request about to be forwarded for a session caller: minted bearer in, our cookie out. */
  applySession(req: IncomingMessage, caller: Caller): Promise<void>;
}

export function createLegacyCredentials(minter: LegacyTokenMinter, cookieName: string): LegacyCredentials {
  return {
    async authorizationFor(caller, req) {
      if (caller.via === 'legacy-jwt') return req.headers.authorization;
      return `Bearer ${await minter.tokenFor(caller)}`;
    },
    async applySession(req, caller) {
      // The proxy's credential replaces every credential the client sent along.
      req.headers.authorization = `Bearer ${await minter.tokenFor(caller)}`;
      delete req.headers['proxy-authorization'];
      const rest = withoutCookie(req.headers.cookie, cookieName);
      if (rest) req.headers.cookie = rest;
      else delete req.headers.cookie;
    },
  };
}

/** The Cookie header without one cookie (every occurrence), the rest byte for byte. */
export function withoutCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  const kept = header.split(';').filter((pair) => {
    const eq = pair.indexOf('=');
    return (eq === -1 ? pair : pair.slice(0, eq)).trim() !== name;
  });
  return kept.length ? kept.join(';').trim() : undefined;
}
