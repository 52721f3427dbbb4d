import type { RequestHandler } from 'express';
import type { Keyv } from 'keyv';
import type { Logger } from 'pino';
import type { ChallengeStore } from './passkey-challenges.ts';
import type { CredentialStore } from './passkey-credentials.ts';
import type { ResolveCaller } from '../resolve-caller.ts';
import type { Sessions } from '../sessions/sessions.ts';

export interface LookedUpUser {
  userId: string;
  username: string;
  roles: string[];
}

export interface PasskeyDeps {
  /**
   * WebAuthn relying party id: the site's registrable domain, e.g. 'localhost'. Never an IP
   * address: undefined turns passkeys off (the passkey API answers passkeyProblems.off()).
   */
  rpId: string | undefined;
  /** Shown by the browser and the authenticator, e.g. 'Education platform'. */
  rpName: string;
  /** Exact origins the pages are served from; WebAuthn responses and unsafe requests must come from one. */
  origins: string[];
  /** The bound storage factory (createKeyv): memory or Redis, shared by all instances. */
  keyv: (namespace: string) => Keyv;
  sessions: Sessions;
  resolveCaller: ResolveCaller;
  /** Username -> account, for sign-in by username and fresh roles at sign-in. Without it, the names seen at registration are used. */
  lookupUser?: (username: string) => Promise<LookedUpUser | null>;
  /** The reserved prefix, e.g. '/_proxy'; the router is mounted at `${prefix}/auth`. */
  prefix: string;
  log: Logger;
  /** Rate limit for the four ceremony endpoints (see auth-rate-limit.ts). */
  ceremonyLimiter?: RequestHandler;
  /** How long a ceremony may take, start to finish. Default 60 s. */
  challengeTtlMs?: number;
  now?: () => number;
}

/** What the route handlers share. */
export interface PasskeyContext {
  deps: PasskeyDeps;
  credentials: CredentialStore;
  challenges: ChallengeStore;
  now: () => number;
}

/** What the ceremonies share: passkeys are on, with this RP ID. */
export interface CeremonyContext extends PasskeyContext {
  rpId: string;
}
