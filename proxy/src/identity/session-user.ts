import type { Caller } from '../routing/route.ts';

/** Who a server-side session belongs to, and how they signed in. */
export type SessionUser = Caller & {
  /** Sign-in time (ms since the epoch): the absolute lifetime counts from here. */
  createdAt: number;
  authMethod: 'passkey' | 'oidc';
  /** The passkey that signed in: its deletion revokes the sessions it created. */
  credentialId?: string;
  oidc?: { issuer: string; sub: string; idTokenHint?: string };
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
