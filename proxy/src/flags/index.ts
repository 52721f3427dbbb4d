import type { Logger } from 'pino';
import { createFileFlags } from './file-flags.ts';
import type { Flags, FlagsConfig } from './types.ts';
import { createUnleashFlags } from './unleash-flags.ts';

export type { FlagContext, Flags, FlagsConfig, FlagState, Side } from './types.ts';
export { parseFlagsFile } from './file-format.ts';

/**
 * The flags that decide who serves each migrated route. Both modes evaluate with
 * unleash-client; 'file' feeds it a bootstrap from a flags file and reloads it on change.
 * Throws, naming the file and the problem, when the flags file is missing or invalid.
 */
export async function createFlags(config: FlagsConfig, log: Logger): Promise<Flags> {
  const flagsLog = log.child({ component: 'flags' });
  return config.mode === 'file' ? createFileFlags(config, flagsLog) : createUnleashFlags(config, flagsLog);
}
