import { createHash, timingSafeEqual } from 'node:crypto';
import { SEED_PASSWORD, seedUsers } from '../seed.ts';

/** A person the dev identity provider knows. Dev-only: passwords are plain text. */
export interface IdpUser {
  username: string;
  password: string;
  givenName: string;
  familyName: string;
  email: string;
  /** The claim the provider vouches for; absent for people with no legacy account. */
  legacyUserId?: string;
  /** Default: derived from the username (stable across restarts, never the legacy id). */
  sub?: string;
  /** The organisation's roles for the person, released as the `roles` claim (absent when none). */
  roles?: string[];
}

/** Who is staff at the organisation in the dev world: kari runs the platform (she is ADMIN in the legacy API too). */
const ORGANISATION_ROLES: Readonly<Record<string, string[]>> = { kari: ['staff'] };

/**
 * The organisation's subject identifier: stable per user and across restarts (links stored in
 * Redis survive a restart of this provider) but deliberately NOT the legacy id, so the proxy
 * has to link accounts rather than assume the two systems share ids.
 */
export function subFor(username: string): string {
  return `idp-${createHash('sha256').update(`dev-idp-subject:${username}`).digest('hex').slice(0, 20)}`;
}

/** The legacy stand-in's seeded people, as the organisation's directory knows them. */
export function seedIdpUsers(): IdpUser[] {
  return seedUsers.map((u) => ({
    username: u.username,
    password: SEED_PASSWORD,
    givenName: u.firstName,
    familyName: u.lastName,
    email: u.email,
    legacyUserId: u.id,
    ...(ORGANISATION_ROLES[u.username] ? { roles: [...ORGANISATION_ROLES[u.username]!] } : {}),
  }));
}

export interface Directory {
  /** The user whose username and password match, else undefined. */
  authenticate(username: string, password: string): IdpUser | undefined;
  bySub(sub: string): IdpUser | undefined;
  subOf(user: IdpUser): string;
}

export function createDirectory(users: readonly IdpUser[]): Directory {
  const subs = new Map<string, IdpUser>();
  const names = new Map<string, IdpUser>();
  for (const user of users) {
    const sub = user.sub ?? subFor(user.username);
    if (subs.has(sub) || names.has(user.username)) throw new Error(`identity provider: duplicate user "${user.username}"`);
    subs.set(sub, user);
    names.set(user.username, user);
  }
  return {
    authenticate(username, password) {
      const user = names.get(username);
      // Compared as digests so the time taken says nothing about the password's length or prefix.
      const digest = (s: string) => createHash('sha256').update(s).digest();
      const ok = timingSafeEqual(digest(user?.password ?? ''), digest(password));
      return user && ok ? user : undefined;
    },
    bySub: (sub) => subs.get(sub),
    subOf: (user) => user.sub ?? subFor(user.username),
  };
}
