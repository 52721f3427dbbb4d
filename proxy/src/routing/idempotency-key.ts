import type { IncomingHttpHeaders } from 'node:http';

/** Longest key taken, unescaped. The draft sets none; a bound keeps one header from filling the store's keys. */
export const MAX_KEY_LENGTH = 255;

export type KeyReading = { key: string } | { invalid: string } | undefined;

const HOW =
  `Send one Idempotency-Key: a string of 1 to ${MAX_KEY_LENGTH} printable ASCII characters, ` +
  'quoted as a structured-field string ("8e03978e-40d5-43e8-bc93-6894a57f9324"); a bare value without spaces, quotes, commas, semicolons or backslashes is accepted too.';

/**
 * The Idempotency-Key field, an RFC 8941 sf-string per draft-ietf-httpapi-idempotency-key-header:
 * `"..."` with `\"` and `\\` the only escapes. Leniently, a bare value is taken as it is (clients
 * that copied Stripe send UUIDs unquoted, and a UUID starting with a digit is not even an sf-token).
 * Refused: parameters (`"k";x=1`: the draft defines none, and two spellings of one key would be
 * one key), a second field (Node joins them with ", "), and anything empty or longer than the bound.
 */
export function readIdempotencyKey(headers: IncomingHttpHeaders): KeyReading {
  const raw = headers['idempotency-key'];
  if (raw === undefined) return undefined;
  const value = (Array.isArray(raw) ? raw.join(', ') : raw).trim();
  const key = value.startsWith('"') ? sfString(value) : /^[\x21\x23-\x2b\x2d-\x3a\x3c-\x5b\x5d-\x7e]+$/.test(value) ? value : undefined;
  if (key === undefined || key.length === 0 || key.length > MAX_KEY_LENGTH) return { invalid: HOW };
  return { key };
}

/** The string's content when `value` is exactly one sf-string, else undefined. */
function sfString(value: string): string | undefined {
  let out = '';
  for (let i = 1; i < value.length; i++) {
    const c = value[i]!;
    if (c === '"') return i === value.length - 1 ? out : undefined;
    if (c === '\\') {
      const next = value[++i];
      if (next !== '"' && next !== '\\') return undefined;
      out += next;
    } else if (c < ' ' || c > '~') {
      return undefined;
    } else {
      out += c;
    }
  }
  return undefined; // no closing quote
}
