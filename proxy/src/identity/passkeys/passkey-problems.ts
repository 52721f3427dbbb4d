import { ProblemError, type Problem } from '../../edge/problem.ts';

/**
 * Every failure of the passkey API, written for the person in front of the page: what happened
 * and what to do next. `type` lets the page pick its own wording or action; `detail` is shown
 * as is when the page has nothing better.
 */
const problem = (slug: string, title: string, status: number, detail: string): Problem => ({
  type: `urn:strangler-proxy:passkey:${slug}`,
  title,
  status,
  detail,
});

export const passkeyProblems = {
  signInRequired: () =>
    problem('sign-in-required', 'Sign in first', 401, 'You need to be signed in to do this. Sign in, then try again.'),
  sessionEnded: () =>
    problem('session-ended', 'Your session has ended', 401, 'Your session has ended. Sign in again to continue.'),
  legacyTokenRefused: () =>
    problem(
      'legacy-sign-in-refused',
      'Your sign-in is no longer valid',
      401,
      'Your sign-in has expired or is no longer accepted. Sign in again, then add your passkey.',
    ),
  challengeExpired: () =>
    problem(
      'challenge-expired',
      'This attempt has expired',
      400,
      'This attempt expired or was already used. Nothing was changed. Start again.',
    ),
  otherAccount: () =>
    problem(
      'other-account',
      'Started for another account',
      403,
      'This passkey setup was started while signed in as someone else. Start again.',
    ),
  alreadyRegistered: () =>
    problem(
      'already-registered',
      'This passkey is already registered',
      409,
      'This passkey is already registered. You can use it to sign in, or add a passkey on another device.',
    ),
  registrationFailed: () =>
    problem(
      'registration-failed',
      'The passkey could not be added',
      400,
      'Your device answered in a way we could not verify, so no passkey was added. Try again, or try another device.',
    ),
  unknownCredential: (credentialId: string) => ({
    ...problem(
      'unknown-credential',
      'This passkey is not registered here',
      401,
      'This passkey is not registered with us; it may have been deleted. Choose another passkey, or sign in with your organisation and add a new one.',
    ),
    credentialId,
  }),
  verificationFailed: () =>
    problem(
      'verification-failed',
      'Sign-in could not be verified',
      401,
      'We could not verify your passkey, so you are not signed in. Try again, or sign in with your organisation.',
    ),
  counterRegression: () =>
    problem(
      'counter-regression',
      'This passkey was not accepted',
      401,
      'This passkey reported being used fewer times than before, which can mean it was copied. For your safety it was not accepted. Sign in with your organisation, then remove this passkey and add a new one.',
    ),
  accountGone: () =>
    problem('account-gone', 'Account not found', 401, 'The account this passkey belongs to no longer exists. Contact support.'),
  notFound: () => problem('not-found', 'Passkey not found', 404, 'There is no such passkey on your account.'),
  badRequest: (detail: string) => problem('bad-request', 'Bad request', 400, detail),
  /** Passkeys are switched off on this deployment (its public address is an IP address). */
  off: () =>
    problem(
      'off',
      'Passkeys are off',
      404,
      'Passkeys are not available here: this site is reached by an IP address, and passkeys need a host name. Sign in with your organisation instead. (To turn passkeys on, whoever runs the proxy sets RP_ID, and PUBLIC_URL, to a host name.)',
    ),
  crossSite: () =>
    problem('cross-site', 'Request refused', 403, 'This request did not come from our own pages, so it was refused.'),
};

export function fail(p: Problem): never {
  throw new ProblemError(p);
}
