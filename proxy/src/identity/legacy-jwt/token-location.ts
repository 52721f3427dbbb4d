import type { IncomingMessage } from 'node:http';
import { hasCookie } from '../sessions/sessions.ts';

/** Where the legacy API's callers carry their token: as configured (LEGACY_TOKEN_SCHEMES / _HEADER / _COOKIE). */
export type TokenLocationSpec =
  /** `Authorization: <scheme> <token>`, any of these schemes (compared case-insensitively); the first is the one minted. */
  | { kind: 'authorization'; schemes: readonly string[] }
  /** A header of its own (lower-case name), holding the token alone. */
  | { kind: 'header'; name: string }
  /** A cookie of that name. */
  | { kind: 'cookie'; name: string };

export interface TokenLocation {
  readonly spec: TokenLocationSpec;
  /** Cheap, on the raw request: does a legacy credential travel in this request? (It may still be garbage.) */
  carries(req: IncomingMessage): boolean;
  /** The token; null when the field is there but holds no usable token; undefined when there is none here. */
  read(req: IncomingMessage): string | null | undefined;
  /** The credential field as the client sent it, alone (the who-am-I call; a migrated handler's legacy calls). */
  asSent(req: IncomingMessage): Record<string, string>;
  /** The field that carries this token, as the legacy API expects it. */
  fieldFor(token: string): Record<string, string>;
  /** How people recognise it, for messages: `Authorization: Token`, `X-Auth-Token`, `cookie jwt`. */
  readonly label: string;
}

export const DEFAULT_TOKEN_LOCATION: TokenLocationSpec = { kind: 'authorization', schemes: ['Bearer'] };

// A credential longer than this is not a token any API issues; refusing it keeps caches and
// who-am-I calls away from megabyte headers.
const MAX_TOKEN_LENGTH = 8_192;

export function createTokenLocation(spec: TokenLocationSpec = DEFAULT_TOKEN_LOCATION): TokenLocation {
  switch (spec.kind) {
    case 'authorization':
      return authorizationLocation(spec);
    case 'header':
      return headerLocation(spec);
    case 'cookie':
      return cookieLocation(spec);
  }
}

function authorizationLocation(spec: Extract<TokenLocationSpec, { kind: 'authorization' }>): TokenLocation {
  const schemes = new Set(spec.schemes.map((s) => s.toLowerCase()));
  // One regex for the hot path (the gate asks it of every request after the cutoff).
  const carries = new RegExp(`^\\s*(?:${spec.schemes.map(escapeRegExp).join('|')})(?:\\s|$)`, 'i');
  return {
    spec,
    label: `Authorization: ${spec.schemes.join(' | ')}`,
    carries: (req) => req.headers.authorization !== undefined && carries.test(req.headers.authorization),
    read(req) {
      const header = req.headers.authorization;
      if (header === undefined) return undefined;
      const match = /^\s*(\S+)(?:\s+(.*))?$/.exec(header);
      if (!match || !schemes.has(match[1]!.toLowerCase())) return undefined;
      return usable(match[2]?.trim());
    },
    asSent: (req): Record<string, string> => (req.headers.authorization === undefined ? {} : { authorization: req.headers.authorization }),
    fieldFor: (token) => ({ authorization: `${spec.schemes[0]} ${token}` }),
  };
}

function headerLocation(spec: Extract<TokenLocationSpec, { kind: 'header' }>): TokenLocation {
  const name = spec.name.toLowerCase();
  const value = (req: IncomingMessage): string | undefined => {
    const v = req.headers[name];
    return Array.isArray(v) ? v.join(', ') : v;
  };
  return {
    spec,
    label: spec.name,
    carries: (req) => req.headers[name] !== undefined,
    read(req) {
      const v = value(req);
      // Node joins a repeated field with ", ": two tokens are no token.
      return v === undefined ? undefined : usable(v.trim());
    },
    asSent(req) {
      const v = value(req);
      return v === undefined ? {} : { [name]: v };
    },
    fieldFor: (token) => ({ [name]: token }),
  };
}

function cookieLocation(spec: Extract<TokenLocationSpec, { kind: 'cookie' }>): TokenLocation {
  const { name } = spec;
  return {
    spec,
    label: `cookie ${name}`,
    carries: (req) => hasCookie(req.headers.cookie, name),
    read(req) {
      const v = cookieValue(req.headers.cookie, name);
      return v === undefined ? undefined : usable(v);
    },
    asSent(req): Record<string, string> {
      const v = cookieValue(req.headers.cookie, name);
      return v === undefined ? {} : { cookie: `${name}=${v}` };
    },
    fieldFor: (token) => ({ cookie: `${name}=${token}` }),
  };
}

/** A token has no whitespace or comma in it (a comma is a repeated field, joined) and a sane length. */
function usable(token: string | undefined): string | null {
  if (!token || token.length > MAX_TOKEN_LENGTH || /[\s,]/.test(token)) return null;
  return token;
}

/** The first cookie of that name, as browsers order them (longest path first); the value unquoted. */
function cookieValue(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const pair of header.split(';')) {
    const eq = pair.indexOf('=');
    if (eq === -1 || pair.slice(0, eq).trim() !== name) continue;
    const value = pair.slice(eq + 1).trim();
    return value.length >= 2 && value.startsWith('"') && value.endsWith('"') ? value.slice(1, -1) : value;
  }
  return undefined;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
