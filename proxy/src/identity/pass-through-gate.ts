import type { IncomingMessage, ServerResponse } from 'node:http';
import { problems, sendProblem, STORE_RETRY_AFTER } from '../edge/problem.ts';
import { stateOf } from '../edge/request-state.ts';
import { checkCsrf, checkWebSocketOrigin } from './csrf.ts';
import type { LegacyCredentials } from './legacy-jwt/legacy-credentials.ts';
import { cannotVerifyNow } from './legacy-jwt/legacy-jwt.ts';
import { createTokenLocation, type TokenLocation } from './legacy-jwt/token-location.ts';
import { isNavigation, type Refusals } from './refusals.ts';
import type { Resolution, ResolveCaller } from './resolve-caller.ts';

export interface IdentityGate {
  /**
   * Does this request need identity before it may be forwarded? Cheap, on the raw request:
   * only our session cookie, or a legacy token (where it is configured to travel) once the
   * dual-auth window has closed.
   */
  wants(req: IncomingMessage): boolean;
  /**
   * For a request forwarded without the gate (inside the window): checks its legacy token on
   * the side, never holding the request up, so the dual-auth window counts what verified. The
   * check settles in `RequestState.verifying`.
   */
  observe(req: IncomingMessage): void;
  /**
   * Resolves the caller and settles what identity demands before the legacy API sees the
   * request: refuses (and answers) an expired session, a retired legacy JWT or a forged
   * cross-site write; swaps a session for a minted legacy token. Returns the resolution, or null
   * when the request was answered. A WebSocket handshake is a GET, but opens a channel both
   * ways, so a session's handshake must come from an allowed origin (cross-site WebSocket
   * hijacking).
   */
  admit(req: IncomingMessage, res: ServerResponse, opts?: { webSocket?: boolean }): Promise<Resolution | null>;
}

// Only a session (which may renew its cookie) writes to the response while resolving.
const NO_RESPONSE = undefined as unknown as ServerResponse;

// Anything but a read can change state, unknown methods included.
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

export function createIdentityGate(deps: {
  resolve: ResolveCaller;
  carriesSessionCookie: (req: IncomingMessage) => boolean;
  cutoffPassed: () => boolean;
  credentials: LegacyCredentials;
  refusals: Refusals;
  /** Configured origins only: nothing the client sends may widen them. */
  allowedOrigins: readonly string[];
  /** Where the legacy token travels (default: `Authorization: Bearer`). */
  location?: TokenLocation;
  /** The legacy API's own login (LEGACY_LOGIN_ENDPOINT): after the cutoff it would issue a token the proxy refuses. */
  isLegacyLogin?: (req: IncomingMessage) => boolean;
}): IdentityGate {
  const isLegacyLogin = deps.isLegacyLogin ?? (() => false);
  const location = deps.location ?? createTokenLocation();
  return {
    wants(req) {
      if (deps.carriesSessionCookie(req)) return true;
      // After the cutoff the unchanged frontend must not loop between its own login form and
      // 401s: its page loads go to the sign-in page, its login to a problem pointing there.
      return deps.cutoffPassed() && (location.carries(req) || isNavigation(req) || isLegacyLogin(req));
    },
    observe(req) {
      const state = stateOf(req);
      // 'unverified' on arrival: a legacy token came, and no session cookie (else the gate would
      // want the request), so resolving never touches a response.
      if (state.arrivedWith !== 'unverified') return;
      state.verifying = deps.resolve(req, NO_RESPONSE).then(
        () => undefined,
        () => undefined,
      );
    },
    async admit(req, res, opts = {}) {
      if (deps.cutoffPassed() && isLegacyLogin(req)) {
        deps.refusals.legacyLoginRetired(req, res);
        return null;
      }
      let resolution: Resolution;
      try {
        resolution = await deps.resolve(req, res);
      } catch {
        // The session store is down: a signed-in user must not be treated as signed out.
        sendProblem(res, problems.storeUnavailable(), stateOf(req).correlationId, STORE_RETRY_AFTER);
        return null;
      }
      switch (resolution.kind) {
        case 'expired-session':
          deps.refusals.expiredSession(req, res);
          return null;
        case 'legacy-jwt-after-cutoff':
          deps.refusals.afterCutoff(req, res);
          return null;
        case 'legacy-jwt-invalid':
          // Before the cutoff the legacy API judges its own tokens. After it, a token the proxy
          // cannot verify is never forwarded: fail closed, and say when it is only for now.
          if (!deps.cutoffPassed()) return resolution;
          if (cannotVerifyNow(resolution.reason)) deps.refusals.cannotVerify(req, res);
          else deps.refusals.afterCutoff(req, res);
          return null;
        case 'session': {
          if (opts.webSocket || !SAFE.has(req.method ?? '')) {
            const verdict = (opts.webSocket ? checkWebSocketOrigin : checkCsrf)(req, deps.allowedOrigins);
            if (!verdict.ok) {
              deps.refusals.csrf(req, res, verdict.reason);
              return null;
            }
          }
          await deps.credentials.applySession(req, resolution.caller);
          return resolution;
        }
        case 'anonymous':
          // After the cutoff a page load without a session can only end at a sign-in form the
          // proxy no longer honours: send it to the proxy's sign-in, and back afterwards.
          if (deps.cutoffPassed() && isNavigation(req)) {
            deps.refusals.signInFirst(req, res);
            return null;
          }
          return resolution;
        default:
          return resolution;
      }
    },
  };
}
