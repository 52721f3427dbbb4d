import type { Keyv } from 'keyv';
import type { Logger } from 'pino';
import type { OidcClient } from './oidc-client.ts';
import type { AccountLinks } from './oidc-links.ts';
import type { oidcOutcomes } from './oidc-pages.ts';
import type { TokenVault } from './oidc-tokens.ts';
import type { OidcTransactions } from './oidc-transactions.ts';
import type { ResolveCaller } from '../resolve-caller.ts';
import type { Sessions } from '../sessions/sessions.ts';

export interface OidcDeps {
  issuer: string;
  clientId: string;
  clientSecret: string;
  /** `${publicOrigin}${prefix}/auth/oidc/callback`, registered at the provider. */
  redirectUri: string;
  /** `${publicOrigin}${prefix}/auth/sign-in`, registered at the provider. */
  postLogoutRedirectUri: string;
  /** True only for a loopback dev/test issuer on plain http. */
  allowInsecure: boolean;
  /** A claim the provider vouches for that names the legacy user, e.g. 'legacy_user_id'. */
  linkClaim?: string;
  /** A claim listing the person's roles at the organisation (kept as the session's providerRoles). Default 'roles'; null: none read. */
  rolesClaim?: string | null;
  /** Default 'openid profile email offline_access'. */
  scope?: string;
  /** The bound storage factory (createKeyv): memory or Redis, shared by all instances. */
  keyv: (namespace: string) => Keyv;
  sessions: Sessions;
  resolveCaller: ResolveCaller;
  /** Recovery: revokes every passkey of the user (the passkey store's business); resolves with how many. */
  onRevokePasskeys?: (userId: string) => Promise<number>;
  /** The reserved prefix, e.g. '/_proxy'; the router is mounted at `${prefix}/auth/oidc`. */
  prefix: string;
  secureCookies: boolean;
  /** Origins our pages are served from (CSRF check). Default: the redirect URI's origin. */
  allowedOrigins?: string[];
  /** How long the provider's tokens are kept per session: the session's absolute lifetime. Default 24 h. */
  tokenTtlMs?: number;
  log: Logger;
  now?: () => number;
}

/** What the route handlers share. */
export interface OidcContext {
  deps: OidcDeps;
  client: OidcClient;
  transactions: OidcTransactions;
  links: AccountLinks;
  vault: TokenVault;
  outcomes: ReturnType<typeof oidcOutcomes>;
  now: () => number;
}
