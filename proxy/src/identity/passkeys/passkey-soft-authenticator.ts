import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';
import type {
  AuthenticationResponseJSON,
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  RegistrationResponseJSON,
} from '@simplewebauthn/server';
import { fromBase64Url, toBase64Url } from './base64url.ts';

/**
 * Test support: a software passkey authenticator (ES256 over P-256), built from the spec rather
 * than from the library under test, so tests can craft exactly the assertion they need: a given
 * signature counter, a replayed response, a wrong origin.
 */
export interface SoftPasskey {
  id: string;
  userHandle: string;
  privateKey: KeyObject;
  /** The counter the next assertion reports (then incremented unless `countsUses` is false). */
  counter: number;
  countsUses: boolean;
}

export interface AssertOptions {
  /** Override the counter for this assertion only. */
  counter?: number;
  origin?: string;
  userVerified?: boolean;
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export function createSoftAuthenticator(opts: { rpId: string; origin: string }) {
  const rpIdHash = sha256(Buffer.from(opts.rpId));
  const passkeys: SoftPasskey[] = [];

  /** `countsUses: false` makes an authenticator that always reports 0; `reuseId` registers a credential id again. */
  function register(
    options: PublicKeyCredentialCreationOptionsJSON,
    behaviour: { countsUses?: boolean; reuseId?: string } = {},
  ): RegistrationResponseJSON {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const rawId = behaviour.reuseId ? Buffer.from(fromBase64Url(behaviour.reuseId)) : randomBytes(32);
    const passkey: SoftPasskey = {
      id: toBase64Url(rawId),
      userHandle: options.user.id,
      privateKey,
      counter: behaviour.countsUses === false ? 0 : 1,
      countsUses: behaviour.countsUses !== false,
    };
    passkeys.push(passkey);
    const jwk = publicKey.export({ format: 'jwk' });
    // COSE_Key for ES256: kty EC2 (1: 2), alg ES256 (3: -7), crv P-256 (-1: 1), x (-2), y (-3).
    const coseKey = cbor(new Map<number, unknown>([[1, 2], [3, -7], [-1, 1], [-2, fromBase64Url(jwk.x!)], [-3, fromBase64Url(jwk.y!)]]));
    const authData = Buffer.concat([
      rpIdHash,
      Buffer.from([FLAG_UP | FLAG_UV | FLAG_AT]),
      u32(0),
      Buffer.alloc(16), // AAGUID: none
      Buffer.from([rawId.length >> 8, rawId.length & 0xff]),
      rawId,
      coseKey,
    ]);
    const attestationObject = cbor(new Map<string, unknown>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
    const clientDataJSON = clientData('webauthn.create', options.challenge, opts.origin);
    return {
      id: passkey.id,
      rawId: passkey.id,
      type: 'public-key',
      authenticatorAttachment: 'platform',
      response: { clientDataJSON: toBase64Url(clientDataJSON), attestationObject: toBase64Url(attestationObject), transports: ['internal'] },
      clientExtensionResults: {},
    };
  }

  function assert(options: PublicKeyCredentialRequestOptionsJSON, passkey: SoftPasskey, extra: AssertOptions = {}): AuthenticationResponseJSON {
    const counter = extra.counter ?? passkey.counter;
    if (extra.counter === undefined && passkey.countsUses) passkey.counter += 1;
    const flags = FLAG_UP | (extra.userVerified === false ? 0 : FLAG_UV);
    const authData = Buffer.concat([rpIdHash, Buffer.from([flags]), u32(counter)]);
    const clientDataJSON = clientData('webauthn.get', options.challenge, extra.origin ?? opts.origin);
    const signature = sign('sha256', Buffer.concat([authData, sha256(clientDataJSON)]), passkey.privateKey); // DER, as WebAuthn wants
    return {
      id: passkey.id,
      rawId: passkey.id,
      type: 'public-key',
      response: {
        clientDataJSON: toBase64Url(clientDataJSON),
        authenticatorData: toBase64Url(authData),
        signature: toBase64Url(signature),
        userHandle: passkey.userHandle,
      },
      clientExtensionResults: {},
    };
  }

  return { passkeys, register, assert };
}

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest();

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function clientData(type: string, challenge: string, origin: string): Buffer {
  return Buffer.from(JSON.stringify({ type, challenge, origin, crossOrigin: false }));
}

/** Just enough CBOR (RFC 8949) for attestation objects and COSE keys. */
function cbor(value: unknown): Buffer {
  const head = (major: number, n: number): Buffer => {
    if (n < 24) return Buffer.from([(major << 5) | n]);
    if (n < 0x100) return Buffer.from([(major << 5) | 24, n]);
    if (n < 0x10000) return Buffer.from([(major << 5) | 25, n >> 8, n & 0xff]);
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(n, 1);
    return b;
  };
  if (typeof value === 'number') return value >= 0 ? head(0, value) : head(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([head(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([head(2, value.length), value]);
  if (value instanceof Map) {
    const parts = [head(5, value.size)];
    for (const [k, v] of value) parts.push(cbor(k), cbor(v));
    return Buffer.concat(parts);
  }
  throw new TypeError(`cbor: cannot encode ${typeof value}`);
}
