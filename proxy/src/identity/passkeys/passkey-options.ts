import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
} from '@simplewebauthn/server';
import { fromBase64Url } from './base64url.ts';
import type { StoredCredential } from './passkey-credentials.ts';

/**
 * ES256 first (every platform authenticator), then EdDSA and RS256 (Windows Hello). Fixed
 * rather than the library's runtime-dependent default, so options and verification always agree.
 */
export const SUPPORTED_ALGORITHMS = [-7, -8, -257];

/** How long the browser may wait for the user; the stored challenge lives as long. */
export const CEREMONY_TIMEOUT_MS = 60_000;

export interface RegistrationOptionsInput {
  rpId: string;
  rpName: string;
  /** base64url WebAuthn user handle (opaque, random, per user). */
  handle: string;
  userName: string;
  existing: StoredCredential[];
}

/** A discoverable passkey with user verification; no attestation (nothing to check it against). */
export function registrationOptions(input: RegistrationOptionsInput): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return generateRegistrationOptions({
    rpID: input.rpId,
    rpName: input.rpName,
    userID: fromBase64Url(input.handle),
    userName: input.userName,
    userDisplayName: input.userName,
    attestationType: 'none',
    timeout: CEREMONY_TIMEOUT_MS,
    excludeCredentials: input.existing.map(descriptor),
    authenticatorSelection: { residentKey: 'required', requireResidentKey: true, userVerification: 'required' },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

/** Username-less when `allowed` is absent: the browser offers the passkeys it holds for us. */
export function authenticationOptions(rpId: string, allowed?: StoredCredential[]): Promise<PublicKeyCredentialRequestOptionsJSON> {
  return generateAuthenticationOptions({
    rpID: rpId,
    userVerification: 'required',
    timeout: CEREMONY_TIMEOUT_MS,
    ...(allowed ? { allowCredentials: allowed.map(descriptor) } : {}),
  });
}

function descriptor(cred: StoredCredential): { id: string; transports?: string[] } {
  return cred.transports.length > 0 ? { id: cred.id, transports: cred.transports } : { id: cred.id };
}
