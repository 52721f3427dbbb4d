import type { IncomingMessage } from 'node:http';
import { arrivedWithRepeats } from '../../edge/request-head.ts';
import type { Caller } from '../../routing/route.ts';
import type { LegacyTokenMinter } from './mint-legacy-token.ts';
import { createTokenLocation, type TokenLocation } from './token-location.ts';

/**
 * What the legacy API is shown for a caller. A legacy-token caller's own credential goes on
 * unchanged; a cookie-session caller has none, so the proxy mints a short-lived token the
 * legacy API trusts, in the place the legacy API reads it (an Authorization scheme, a header
 * or a cookie). The browser never sees it, and the proxy's own cookie never leaves.
 */
export interface LegacyCredentials {
  /** The credential fields for calls made on the caller's behalf (migrated handlers). */
  headersFor(caller: Caller, req: IncomingMessage): Promise<Record<string, string>>;
  /** Rewrites a request about to be forwarded for a session caller: minted token in, every client credential and our cookie out. */
  applySession(req: IncomingMessage, caller: Caller): Promise<void>;
}

export function createLegacyCredentials(
  minter: LegacyTokenMinter,
  cookieName: string,
  location: TokenLocation = createTokenLocation(),
): LegacyCredentials {
  const spec = location.spec;
  return {
    async headersFor(caller, req) {
      if (caller.via === 'legacy-jwt') return location.asSent(req);
      return location.fieldFor(await minter.tokenFor(caller));
    },
    async applySession(req, caller) {
      const token = await minter.tokenFor(caller);
      // The proxy's credential replaces every credential the client sent along.
      delete req.headers.authorization;
      delete req.headers['proxy-authorization'];
      let cookie = withoutCookie(req.headers.cookie, cookieName);
      if (spec.kind === 'authorization') req.headers.authorization = location.fieldFor(token).authorization;
      else if (spec.kind === 'header') {
        req.headers[spec.name] = token;
        // The catch-all forwards a repeated field's copies as they came (headersDistinct, which
        // Node keeps once read): a client's copies of this one must not travel beside the minted token.
        if (arrivedWithRepeats(req)) delete req.headersDistinct[spec.name];
      } else {
        const pair = location.fieldFor(token).cookie!;
        const rest = withoutCookie(cookie, spec.name);
        cookie = rest ? `${rest}; ${pair}` : pair;
      }
      if (cookie) req.headers.cookie = cookie;
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
