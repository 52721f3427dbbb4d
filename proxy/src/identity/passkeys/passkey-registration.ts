import { verifyRegistrationResponse, type RegistrationResponseJSON } from '@simplewebauthn/server';
import type { Request, Response } from 'express';
import { toBase64Url } from './base64url.ts';
import { bodies, cleanName, parseBody } from './passkey-body.ts';
import { requireCaller } from './passkey-caller.ts';
import type { StoredCredential } from './passkey-credentials.ts';
import type { CeremonyContext } from './passkey-deps.ts';
import { listItem } from './passkey-management.ts';
import { registrationOptions, SUPPORTED_ALGORITHMS } from './passkey-options.ts';
import { fail, passkeyProblems } from './passkey-problems.ts';

/** POST /passkeys/register/options: a signed-in caller (session or legacy JWT) starts adding a passkey. */
export function registerOptions(ctx: CeremonyContext) {
  return async (req: Request, res: Response) => {
    const { deps, credentials, challenges } = ctx;
    const caller = await requireCaller(deps.resolveCaller, deps.sessions, req, res);
    const options = await registrationOptions({
      rpId: ctx.rpId,
      rpName: deps.rpName,
      handle: await credentials.handleFor(caller.userId),
      userName: caller.username ?? caller.userId,
      existing: await credentials.listFor(caller.userId),
    });
    await challenges.issue(res, { ceremony: 'registration', challenge: options.challenge, userId: caller.userId });
    res.json(options);
  };
}

/** POST /passkeys/register/verify {response, name?}: checks the new passkey and stores it. */
export function registerVerify(ctx: CeremonyContext) {
  return async (req: Request, res: Response) => {
    const { deps, credentials, challenges, now } = ctx;
    // First, so that any attempt (signed out, malformed, forged) uses the challenge up.
    const taken = await challenges.take(req, res, 'registration');
    const caller = await requireCaller(deps.resolveCaller, deps.sessions, req, res);
    const body = parseBody(bodies.registerVerify, req);
    if (!taken.ok) {
      deps.log.info({ reason: taken.reason }, 'passkey registration refused: no usable challenge');
      return fail(passkeyProblems.challengeExpired());
    }
    if (taken.record.userId !== caller.userId) return fail(passkeyProblems.otherAccount());

    const response = body.response as unknown as RegistrationResponseJSON;
    let info;
    try {
      const verification = await verifyRegistrationResponse({
        response,
        expectedChallenge: taken.record.challenge,
        expectedOrigin: deps.origins,
        expectedRPID: ctx.rpId,
        requireUserVerification: true,
        supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
      });
      if (!verification.verified) throw new Error('not verified');
      info = verification.registrationInfo;
    } catch (err) {
      deps.log.info({ userId: caller.userId, reason: (err as Error).message }, 'passkey registration refused');
      return fail(passkeyProblems.registrationFailed());
    }

    const at = now();
    const transports = info.credential.transports ?? body.response.response.transports ?? [];
    const cred: StoredCredential = {
      id: info.credential.id,
      publicKey: toBase64Url(info.credential.publicKey),
      counter: info.credential.counter,
      transports,
      userId: caller.userId,
      ...(caller.username !== undefined ? { username: caller.username } : {}),
      roles: [...caller.roles],
      name: cleanName(body.name) || defaultName(transports, info.credentialBackedUp, at),
      createdAt: at,
      lastUsedAt: null,
      backedUp: info.credentialBackedUp,
    };
    if (!(await credentials.add(cred))) return fail(passkeyProblems.alreadyRegistered());
    deps.log.info({ userId: caller.userId, via: caller.via, credential: cred.id.slice(0, 8) }, 'passkey registered');
    res.status(201).json(listItem(cred, undefined));
  };
}

/** A name the user recognises in the list until they choose one. */
function defaultName(transports: string[], backedUp: boolean, at: number): string {
  const kind = backedUp
    ? 'Synced passkey'
    : transports.includes('usb') || transports.includes('nfc')
      ? 'Security key'
      : transports.includes('hybrid')
        ? 'Passkey on a phone'
        : 'Passkey';
  return `${kind} (added ${new Date(at).toISOString().slice(0, 10)})`;
}
