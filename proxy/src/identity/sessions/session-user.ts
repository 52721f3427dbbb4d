import type { Caller } from '../../routing/route.ts';

/** Who a server-side session belongs to, and how they signed in. */
export type SessionUser = Caller & {
  /** Sign-in time (ms since the epoch): the absolute lifetime counts from here. */
  createdAt: number;
  authMethod: 'passkey' | 'oidc';
  /** The passkey that signed in: its deletion revokes the sessions it created. */
  credentialId?: string;
  oidc?: { issuer: string; sub: string; idTokenHint?: string };
  /**
   * Roles the identity provider asserted at sign-in (OIDC_ROLES_CLAIM), e.g. `staff`. Only the
   * proxy's own pages read them (the status page); they are kept apart from `roles`, which come
   * from the legacy account and go into the tokens minted for the legacy API.
   */
  providerRoles?: string[];
};

declare module 'express-session' {
  interface SessionData {
    user?: SessionUser;
  }
}

/** The Caller a session stands for: only the fields the pipeline may rely on. */
export function callerOf(user: SessionUser): Caller {
  return {
    userId: user.userId,
    ...(user.username !== undefined ? { username: user.username } : {}),
    roles: [...user.roles],
    via: 'session',
  };
}
