import type { ClientFeaturesResponse } from 'unleash-client';
import { SHADOW_SUFFIX } from '../../proxy/src/flags/decide.ts';
import { effectiveRollout } from '../../proxy/src/flags/flag-state.ts';

type Feature = ClientFeaturesResponse['features'][number];

/** One route flag as the flags file defines it: what the proxy would do with it, without starting a client. */
export interface FileFlagState {
  exists: boolean;
  enabled: boolean;
  /** 0..100, 0 when the flag is off or absent (the same reading as the live status page). */
  rollout: number;
  shadow: boolean;
}

export interface FileFlags {
  state(flag: string): FileFlagState;
  /** Route flags the file defines (shadow siblings left out), sorted. */
  names(): string[];
}

/** Reads definitions parsed by proxy/src/flags (parseFlagsFile), the way flag-state.ts reads a live client's. */
export function fileFlags(data: ClientFeaturesResponse): FileFlags {
  const byName = new Map<string, Feature>(data.features.map((f) => [f.name, f]));
  return {
    state(flag) {
      const main = byName.get(flag);
      return {
        exists: main !== undefined,
        enabled: main?.enabled === true,
        rollout: effectiveRollout(main),
        shadow: effectiveRollout(byName.get(flag + SHADOW_SUFFIX)) > 0,
      };
    },
    names: () => [...byName.keys()].filter((n) => !n.endsWith(SHADOW_SUFFIX)).sort(),
  };
}
