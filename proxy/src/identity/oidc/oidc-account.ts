import type { AccountLinks } from './oidc-links.ts';
import type { LinkTarget, OidcTransaction } from './oidc-transactions.ts';

export type AccountDecision =
  | { ok: true; user: LinkTarget; via: 'link' | 'claim' | 'signed-in' }
  | { ok: false; refusal: 'unlinked' | 'linked-elsewhere' };

export interface DecideAccountArgs {
  links: AccountLinks;
  issuer: string;
  sub: string;
  /** The ID token's claims over the userinfo response's (the signed token wins a disagreement). */
  claims: Record<string, unknown>;
  /** A claim the provider vouches for that names the legacy user, e.g. `legacy_user_id`. */
  linkClaim?: string;
  tx: Pick<OidcTransaction, 'intent' | 'linkTo'>;
  now: number;
  warn(obj: object, msg: string): void;
}

/**
 * Which legacy user an organisation account (issuer, sub) signs in as. In order: a stored
 * link; a link the user asked for while signed in; the provider's vouching claim; else nobody.
 * An email address never decides: it is neither unique nor permanent.
 */
export async function decideAccount(args: DecideAccountArgs): Promise<AccountDecision> {
  const { links, issuer, sub, tx } = args;
  const existing = await links.find(issuer, sub);
  const vouched = vouchedUserId(args.claims, args.linkClaim);

  if (tx.intent === 'link') {
    const target = tx.linkTo;
    if (!target) return { ok: false, refusal: 'unlinked' };
    if (existing && existing.userId !== target.userId) return { ok: false, refusal: 'linked-elsewhere' };
    // The organisation itself says this account is someone else's: do not let a signed-in user claim it.
    if (vouched !== undefined && vouched !== target.userId) return { ok: false, refusal: 'linked-elsewhere' };
    const link = await links.link(issuer, sub, { ...target, roles: [...target.roles], how: 'signed-in', linkedAt: args.now });
    if (link.userId !== target.userId) return { ok: false, refusal: 'linked-elsewhere' };
    return { ok: true, user: target, via: 'signed-in' };
  }

  if (existing) {
    if (vouched !== undefined && vouched !== existing.userId) {
      // The stored link stands (links are deliberate), but someone should look.
      args.warn({ event: 'oidc.link.claim-disagrees', userId: existing.userId }, 'the provider now vouches for another legacy user');
    }
    return { ok: true, user: targetOf(existing), via: 'link' };
  }

  if (vouched !== undefined) {
    const username = stringClaim(args.claims, 'name') ?? stringClaim(args.claims, 'preferred_username');
    const link = await links.link(issuer, sub, {
      userId: vouched,
      ...(username !== undefined ? { username } : {}),
      roles: [],
      how: 'claim',
      linkedAt: args.now,
    });
    return { ok: true, user: targetOf(link), via: 'claim' };
  }
  return { ok: false, refusal: 'unlinked' };
}

const MAX_ROLES = 50;
const MAX_ROLE_LENGTH = 100;

/**
 * The roles the provider lists for the person in `claim` (an array of strings, or one string),
 * bounded. They are the organisation's roles, not the legacy account's: kept apart from `roles`.
 */
export function providerRoles(claims: Record<string, unknown>, claim: string | null): string[] {
  if (!claim) return [];
  const value = claims[claim];
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const roles = list.filter((r): r is string => typeof r === 'string' && r.trim() !== '' && r.length <= MAX_ROLE_LENGTH);
  return [...new Set(roles)].slice(0, MAX_ROLES);
}

function vouchedUserId(claims: Record<string, unknown>, linkClaim: string | undefined): string | undefined {
  if (!linkClaim) return undefined;
  const value = stringClaim(claims, linkClaim);
  return value !== undefined && value.length <= 256 ? value : undefined;
}

function stringClaim(claims: Record<string, unknown>, name: string): string | undefined {
  const value = claims[name];
  return typeof value === 'string' && value.trim() !== '' ? value : undefined;
}

function targetOf(link: LinkTarget): LinkTarget {
  return { userId: link.userId, ...(link.username !== undefined ? { username: link.username } : {}), roles: [...link.roles] };
}
