import type { Logger } from 'pino';
import { createIntrospectionVerifier } from './introspection.ts';
import { createLegacyJwtVerifier, type LegacyJwtVerifier } from './legacy-jwt.ts';
import type { LegacyTokenSettings } from './legacy-token-settings.ts';
import { createLegacyTokenMinter, type LegacyTokenMinter } from './mint-legacy-token.ts';
import { createTokenLocation, type TokenLocation } from './token-location.ts';

/** The legacy API's credential, wired from configuration: where it travels, how it is checked, how it is minted. */
export interface LegacyIdentity {
  location: TokenLocation;
  verifier: LegacyJwtVerifier;
  minter: LegacyTokenMinter;
}

export function createLegacyIdentity(
  settings: LegacyTokenSettings,
  mint: { privateKeyPem: string | undefined; kid: string; lifetimeSec: number },
  log: Logger,
): LegacyIdentity {
  for (const warning of settings.warnings) log.warn({ component: 'legacy-token' }, warning);
  const { verification: v, claims, issuer, audience } = settings;
  const verifier =
    v.mode === 'introspection'
      ? createIntrospectionVerifier({ url: v.url, claims, cacheSec: v.cacheSec, timeoutMs: v.timeoutMs, log })
      : createLegacyJwtVerifier({
          key: v.key,
          algorithms: v.algorithms,
          issuer,
          audience,
          requiredClaims: v.requiredClaims,
          clockToleranceSec: v.clockToleranceSec,
          claims,
        });
  if (v.mode === 'introspection') {
    log.warn(
      { component: 'legacy-token' },
      'opaque legacy tokens: session callers reach the legacy API with a JWT the proxy mints (RS256; its key at ' +
        '<prefix>/.well-known/jwks.json). The legacy API must accept it, or it sees session callers as anonymous',
    );
  }
  const minter = createLegacyTokenMinter({
    privateKeyPem: mint.privateKeyPem,
    kid: mint.kid,
    ...(settings.minting.algorithm === 'RS256' ? {} : { hmac: settings.minting }),
    issuer,
    audience,
    claims,
    lifetimeSec: mint.lifetimeSec,
    log,
  });
  return { location: createTokenLocation(settings.location), verifier, minter };
}
