/** Who serves a request on a migrated route. */
export type Side = 'legacy' | 'shadow' | 'migrated';

/**
 * The caller of decide() supplies a stable key: the verified user id when there is one, and
 * always a sessionId (a stable anonymous key), so the rollout never re-rolls per request.
 */
export interface FlagContext {
  userId?: string;
  sessionId: string;
}

/** The live definition of one route flag, for the status page. */
export interface FlagState {
  name: string;
  exists: boolean;
  enabled: boolean;
  /** 0..100: the share of users on the migrated route; 0 when the flag is off or unknown. */
  rollout: number;
  shadow: boolean;
  /** ISO time when our copy of this flag's (or its shadow sibling's) definition last changed. */
  lastChangedAt: string | null;
}

export interface Flags {
  readonly source: 'file' | 'unleash';
  /** A first set of definitions is in force (readiness waits for it; a file is read before start-up ends). */
  loaded(): boolean;
  decide(flag: string, ctx: FlagContext): Side;
  /**
   * False only when decide() is certain to answer `legacy` to everyone for this flag right now
   * (off, unknown, or at 0% with no shadow): such a request needs no caller to be decided.
   * True means "maybe": decide per caller.
   */
  mayLeaveLegacy(flag: string): boolean;
  /**
   * A request went to legacy on mayLeaveLegacy's "no", without decide(): counted in Unleash's
   * usage metrics as decide() counts it (the flag and its shadow sibling, each "no"), so a route
   * flag still in use does not show in Unleash as unused, and its exposure is the traffic's.
   */
  countLegacy(flag: string): void;
  state(flag: string): FlagState;
  close(): Promise<void>;
}

export type FlagsConfig =
  | { mode: 'file'; file: string; pollMs?: number }
  | {
      mode: 'unleash';
      url: string;
      token?: string;
      appName: string;
      instanceId?: string;
      refreshMs: number;
      startupWaitMs?: number;
    };
