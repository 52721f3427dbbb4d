import type { FaultRule } from './faults.ts';
import type { StubStats } from './received.ts';
import type { World } from './seed.ts';
import type { TokenService } from './tokens.ts';

/** What the route modules share about one running stub. */
export interface StubContext {
  world: World;
  tokens: TokenService;
  stats: StubStats;
  /** `http://HOST:PORT` built from the listening address, never from the Host header. */
  origin(): string;
  /** The legacy host, as cookies name it in their Domain attribute. */
  cookieDomain(): string;
  faults: { get(): FaultRule[]; set(rules: unknown): void };
}
