import type { Request } from 'express';
import { z } from 'zod';
import { fail, passkeyProblems } from './passkey-problems.ts';

/**
 * Shapes of the passkey API's request bodies. The WebAuthn response is checked only for the
 * fields we read ourselves; the library checks the rest when it verifies.
 */
const b64 = z.string().max(4096);

const registrationResponse = z.looseObject({
  id: b64.min(1),
  rawId: b64.min(1),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64, attestationObject: b64, transports: z.array(z.string().max(32)).max(8).optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

const authenticationResponse = z.looseObject({
  id: b64.min(1),
  rawId: b64.min(1),
  type: z.literal('public-key'),
  response: z.looseObject({ clientDataJSON: b64, authenticatorData: b64, signature: b64, userHandle: b64.optional() }),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
});

const name = z.string().max(200);

export const bodies = {
  registerVerify: z.object({ response: registrationResponse, name: name.optional() }),
  authenticateOptions: z.object({ username: z.string().max(256).optional() }),
  authenticateVerify: z.object({ response: authenticationResponse, returnUrl: z.string().max(2048).optional() }),
  rename: z.object({ name }),
  // Strict: a misspelt option must not quietly sign this browser out too.
  signOutEverywhere: z.strictObject({ keepThisSession: z.boolean().optional() }),
};

/** The parsed body, or a 400 saying what is wrong with it. */
export function parseBody<T extends z.ZodType>(schema: T, req: Request): z.output<T> {
  const parsed = schema.safeParse(req.body ?? {});
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const where = issue && issue.path.length > 0 ? ` (${issue.path.join('.')})` : '';
  return fail(passkeyProblems.badRequest(`The request body is not what this endpoint expects${where}.`));
}

/** A passkey's display name: printable, single-line, at most 64 characters; empty means none. */
export function cleanName(raw: string | undefined): string {
  if (raw === undefined) return '';
  return raw.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').replace(/\s+/g, ' ').trim().slice(0, 64);
}
