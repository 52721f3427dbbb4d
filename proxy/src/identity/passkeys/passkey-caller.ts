import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Caller } from '../../routing/route.ts';
import { fail, passkeyProblems } from './passkey-problems.ts';
import type { ResolveCaller } from '../resolve-caller.ts';
import type { Sessions } from '../sessions/sessions.ts';

/**
 * The signed-in caller, by session or by a valid legacy JWT (that is how existing users move
 * over to passkeys); anyone else gets a 401 that says what to do.
 */
export async function requireCaller(
  resolve: ResolveCaller,
  sessions: Pick<Sessions, 'clearCookie'>,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<Caller> {
  const resolution = await resolve(req, res);
  switch (resolution.kind) {
    case 'session':
    case 'legacy-jwt':
      return resolution.caller;
    case 'expired-session':
      // Drop the dead cookie, so the page's next try can fall back to the legacy token.
      sessions.clearCookie(res);
      return fail(passkeyProblems.sessionEnded());
    case 'legacy-jwt-invalid':
    // After the cutoff a legacy JWT proves nothing here either: enrolling with it would keep the old sign-in alive.
    case 'legacy-jwt-after-cutoff':
      return fail(passkeyProblems.legacyTokenRefused());
    default:
      return fail(passkeyProblems.signInRequired());
  }
}
