import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { Configuration, ClientMetadata, KoaContextWithOIDC } from 'oidc-provider';
import { errorPage, logoutPage, signedOutPage } from './pages.ts';
import type { Directory } from './users.ts';

export interface IdpClient {
  client_id: string;
  client_secret: string;
  redirect_uris: string[];
  post_logout_redirect_uris: string[];
}

export interface TokenLifetimes {
  /** Seconds; default 600. Short values let tests see a refresh. */
  accessTokenSec?: number;
  /** Seconds; default 3600. */
  idTokenSec?: number;
  /** Seconds; default 14 days. */
  refreshTokenSec?: number;
}

/**
 * oidc-provider's configuration for the dev stand-in of the organisation's identity provider:
 * authorization code with PKCE (S256, required for every client), refresh tokens (rotated on
 * every use), RP-initiated logout, `openid profile email`, the vouched `legacy_user_id` and the
 * person's organisation `roles`.
 */
export function providerConfiguration(directory: Directory, clients: readonly IdpClient[], ttl: TokenLifetimes): Configuration {
  return {
    clients: clients.map(
      (c): ClientMetadata => ({
        ...c,
        grant_types: ['authorization_code', 'refresh_token'],
        response_types: ['code'],
        token_endpoint_auth_method: 'client_secret_basic',
      }),
    ),
    async findAccount(_ctx, sub) {
      const user = directory.bySub(sub);
      if (!user) return undefined;
      return {
        accountId: sub,
        claims: () => ({
          sub,
          name: `${user.givenName} ${user.familyName}`,
          given_name: user.givenName,
          family_name: user.familyName,
          preferred_username: user.username,
          email: user.email,
          email_verified: true,
          ...(user.legacyUserId !== undefined ? { legacy_user_id: user.legacyUserId } : {}),
          ...(user.roles?.length ? { roles: [...user.roles] } : {}),
        }),
      };
    },
    // The organisation vouches for the legacy id as part of the profile it releases.
    claims: {
      openid: ['sub'],
      profile: ['name', 'given_name', 'family_name', 'preferred_username', 'legacy_user_id', 'roles'],
      email: ['email', 'email_verified'],
    },
    scopes: ['openid', 'offline_access', 'profile', 'email'],
    responseTypes: ['code'],
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: {
      devInteractions: { enabled: false },
      // Lets a client that signs a person out give up its refresh token at once.
      revocation: { enabled: true, allowedPolicy: (_ctx, client, token) => token.clientId === client.clientId },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: (ctx: KoaContextWithOIDC, form: string) => {
          ctx.type = 'html';
          ctx.body = logoutPage(form);
        },
        postLogoutSuccessSource: (ctx: KoaContextWithOIDC) => {
          ctx.type = 'html';
          ctx.body = signedOutPage();
        },
      },
    },
    pkce: { required: () => true },
    // Refresh tokens for every client allowed the grant, with or without offline_access (a
    // sign-in that forces re-authentication with prompt=login drops offline_access), and a
    // new one on every use so the client must keep the rotated token.
    issueRefreshToken: (_ctx, client) => client.grantTypeAllowed('refresh_token'),
    rotateRefreshToken: true,
    ttl: {
      AccessToken: ttl.accessTokenSec ?? 600,
      IdToken: ttl.idTokenSec ?? 3600,
      RefreshToken: ttl.refreshTokenSec ?? 14 * 24 * 3600,
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 8 * 3600,
      Grant: 14 * 24 * 3600,
    },
    // The proxy talks to this provider server to server: no browser needs CORS here.
    clientBasedCORS: () => false,
    renderError: (ctx, out) => {
      ctx.type = 'html';
      ctx.body = errorPage(out as unknown as Record<string, unknown>);
    },
    // Generated at every start: no signing key or cookie secret is ever in the repository.
    jwks: { keys: [signingJwk()] },
    cookies: { keys: [randomBytes(32).toString('base64url')] },
  };
}

function signingJwk() {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  return { ...privateKey.export({ format: 'jwk' }), kid: `dev-${randomBytes(6).toString('hex')}`, alg: 'RS256', use: 'sig' };
}
