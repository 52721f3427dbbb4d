import type { TokenLocationSpec } from '../legacy-jwt/token-location.ts';

/**
 * How the proxy's own pages (the account page) vouch for a person signed in to the existing
 * frontend: where that frontend keeps its token in the browser, and the field the legacy API
 * reads it from, so the page sends it exactly as the frontend would. Nothing in it is secret:
 * it names places, never a token.
 */
export type PageCredential =
  | {
      storage: 'localStorage' | 'sessionStorage';
      key: string;
      /** The request header the token goes in, as LEGACY_TOKEN_SCHEMES / LEGACY_TOKEN_HEADER say. */
      header: string;
      /** `Authorization`'s scheme (the first configured); undefined for a header holding the token alone. */
      scheme: string | undefined;
    }
  /** The token travels in a cookie the browser sends by itself, or the pages are not to look for one. */
  | { storage: 'none' };

const PAGE_CREDENTIAL_VARIABLE = 'LEGACY_TOKEN_BROWSER_STORAGE';
/** `none`, or a Web Storage area and a key: printable, no spaces (`jwt`, `persist:auth`). */
export const PAGE_CREDENTIAL_FORMAT = /^(none|(localStorage|sessionStorage):[\x21-\x7e]+)$/;
export const PAGE_CREDENTIAL_FORMAT_MESSAGE =
  'must be localStorage:<key> or sessionStorage:<key> (where the existing frontend keeps its token, e.g. localStorage:jwt), or none';

export type PageCredentialOutcome = { ok: true; credential: PageCredential } | { ok: false; problem: string };

type Place = { storage: 'localStorage' | 'sessionStorage'; key: string };
// Our stand-in frontend's place, and so today's behaviour.
const DEFAULT_PLACE: Place = { storage: 'localStorage', key: 'legacyToken' };
/** With the default token location: `localStorage.legacyToken`, sent as `Authorization: Bearer`. */
export const DEFAULT_PAGE_CREDENTIAL: PageCredential = { ...DEFAULT_PLACE, header: 'Authorization', scheme: 'Bearer' };

/** `value` has passed PAGE_CREDENTIAL_FORMAT (undefined: not set); `location` is where the legacy API reads tokens. */
export function pageCredential(value: string | undefined, location: TokenLocationSpec): PageCredentialOutcome {
  if (location.kind === 'cookie') {
    // A page cannot set a Cookie header on fetch; the browser sends the frontend's cookie by itself.
    if (value === undefined || value === 'none') return { ok: true, credential: { storage: 'none' } };
    return {
      ok: false,
      problem: `${PAGE_CREDENTIAL_VARIABLE}=${JSON.stringify(value)}: the legacy token travels in the cookie ${location.name} (LEGACY_TOKEN_COOKIE), which the browser sends by itself; set none or leave it unset`,
    };
  }
  if (value === undefined) return { ok: true, credential: withLocation(DEFAULT_PLACE, location) };
  if (value === 'none') return { ok: true, credential: { storage: 'none' } };
  const colon = value.indexOf(':');
  const place: Place = { storage: value.slice(0, colon) as Place['storage'], key: value.slice(colon + 1) };
  return { ok: true, credential: withLocation(place, location) };
}

/** The page sends the token where the legacy API reads it: the first configured scheme, or the header alone. */
function withLocation(place: Place, location: Exclude<TokenLocationSpec, { kind: 'cookie' }>): PageCredential {
  return location.kind === 'authorization'
    ? { storage: place.storage, key: place.key, header: 'Authorization', scheme: location.schemes[0] }
    : { storage: place.storage, key: place.key, header: location.name, scheme: undefined };
}

