import { randomBytes } from 'node:crypto';

/**
 * base64url (RFC 4648 §5, no padding): the one encoding WebAuthn's JSON forms use for bytes.
 * Every conversion on the server goes through here, so a padded or standard-base64 string is
 * refused in one place instead of decoding to different bytes in different places.
 */
const BASE64URL = /^[A-Za-z0-9_-]*$/;

export function isBase64Url(value: unknown): value is string {
  // A length of 1 mod 4 cannot come from any byte string.
  return typeof value === 'string' && BASE64URL.test(value) && value.length % 4 !== 1;
}

export function toBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64url');
}

/** Throws on anything that is not strict base64url. */
export function fromBase64Url(value: string): Uint8Array<ArrayBuffer> {
  if (!isBase64Url(value)) throw new TypeError('not a base64url string');
  const buf = Buffer.from(value, 'base64url');
  return new Uint8Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
}

/** `size` random bytes, base64url-encoded: challenge ids, user handles. */
export function randomBase64Url(size: number): string {
  return randomBytes(size).toString('base64url');
}
