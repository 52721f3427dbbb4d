import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Keyv } from 'keyv';

export type OidcIntent = 'signin' | 'recover' | 'link';

/** Who asked to link their organisation account: recorded at the start, when they were signed in. */
export interface LinkTarget {
  userId: string;
  username?: string;
  roles: string[];
}

/** One sign-in in flight, between the redirect to the provider and its return. Server-side only. */
export interface OidcTransaction {
  state: string;
  nonce: string;
  codeVerifier: string;
  intent: OidcIntent;
  returnUrl: string;
  linkTo?: LinkTarget;
}

export interface OidcTransactions {
  /** Stores the transaction and sets the cookie that names it. */
  begin(res: ServerResponse, tx: OidcTransaction): Promise<void>;
  /** The request's transaction, removed on the way (single use), and the cookie dropped. */
  take(req: IncomingMessage, res: ServerResponse): Promise<OidcTransaction | undefined>;
}

export const TRANSACTION_TTL_MS = 10 * 60_000;

/**
 * The transaction lives in Keyv (any proxy instance can finish it) under a random id that
 * travels in a short-lived cookie: HttpOnly, SameSite=Lax (it must survive the top-level
 * cross-site GET back from the provider) and scoped to the callback path.
 */
export function createTransactions(opts: { keyv: Keyv; callbackPath: string; secure: boolean }): OidcTransactions {
  const name = opts.secure ? '__Secure-sp_oidc_tx' : 'sp_oidc_tx';
  const attributes = `Path=${opts.callbackPath}; HttpOnly; SameSite=Lax${opts.secure ? '; Secure' : ''}`;
  const key = (id: string) => `tx:${id}`;

  return {
    async begin(res, tx) {
      const id = randomBytes(32).toString('base64url');
      if (!(await opts.keyv.set(key(id), tx, TRANSACTION_TTL_MS))) throw new Error('the transaction store refused a write');
      appendSetCookie(res, `${name}=${id}; Max-Age=${TRANSACTION_TTL_MS / 1000}; ${attributes}`);
    },
    async take(req, res) {
      appendSetCookie(res, `${name}=; Max-Age=0; ${attributes}`);
      const id = readCookie(req.headers.cookie, name);
      if (!id || !/^[A-Za-z0-9_-]{43}$/.test(id)) return undefined;
      const tx = await opts.keyv.get<OidcTransaction>(key(id));
      if (tx) await opts.keyv.delete(key(id));
      return tx ?? undefined;
    },
  };
}

function appendSetCookie(res: ServerResponse, cookie: string): void {
  const previous = res.getHeader('set-cookie');
  const list = previous === undefined ? [] : Array.isArray(previous) ? previous : [String(previous)];
  res.setHeader('set-cookie', [...list, cookie]);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}
