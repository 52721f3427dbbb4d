import type { Keyv } from 'keyv';

/** An organisation account (issuer, sub) tied to a legacy user. */
export interface AccountLink {
  userId: string;
  username?: string;
  roles: string[];
  /** `claim`: the provider vouched for the legacy id; `signed-in`: the user linked it while signed in. */
  how: 'claim' | 'signed-in';
  linkedAt: number;
}

export interface AccountLinks {
  find(issuer: string, sub: string): Promise<AccountLink | undefined>;
  /** Stores the link unless one exists already; returns whichever link is in force. */
  link(issuer: string, sub: string, link: AccountLink): Promise<AccountLink>;
}

/**
 * Links are keyed by (issuer, sub) only: the pair the provider promises never to reassign.
 * Email is not an identifier here: addresses change, get recycled, and two accounts can share one.
 * Links never expire; removing one is an operator's decision.
 */
export function createAccountLinks(keyv: Keyv): AccountLinks {
  const key = (issuer: string, sub: string) => `link:${JSON.stringify([issuer, sub])}`;
  return {
    async find(issuer, sub) {
      return (await keyv.get<AccountLink>(key(issuer, sub))) ?? undefined;
    },
    async link(issuer, sub, link) {
      // Keyv has no set-if-absent: two first sign-ins of the same subject racing each other
      // could both write, and the last one wins. Both proved that very (issuer, sub).
      const existing = await keyv.get<AccountLink>(key(issuer, sub));
      if (existing) return existing;
      if (!(await keyv.set(key(issuer, sub), link))) throw new Error('the link store refused a write');
      return link;
    },
  };
}
