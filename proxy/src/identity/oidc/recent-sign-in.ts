import type { Problem } from '../../edge/problem.ts';
import type { SessionUser } from '../sessions/session-user.ts';

/**
 * How long after a sign-in through the organisation the recovery actions stay open (removing
 * the old passkeys, signing out every other session). A passkey session may be the thief's, and
 * a session someone walked away from may be anyone's: only a fresh organisation sign-in is the
 * person proving, just now, who they are.
 */
export const RECENT_SIGN_IN_MS = 10 * 60_000;

export function isRecentOrganisationSignIn(user: SessionUser | null | undefined, now: number): boolean {
  return user?.authMethod === 'oidc' && now - user.createdAt <= RECENT_SIGN_IN_MS;
}

/** The refusal, as problem+json, when an action needs that fresh sign-in; the same `type` the OIDC pages use. */
export function recentSignInRequired(prefix: string, needs: string): Problem {
  return {
    type: 'urn:strangler-proxy:oidc:recent-organisation-sign-in-required',
    title: 'Sign in with your organisation again',
    status: 403,
    detail: `${needs} needs a sign-in through your organisation in the last 10 minutes.`,
    signInUrl: `${prefix}/auth/oidc/start?intent=recover`,
  };
}
