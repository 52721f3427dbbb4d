import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../proxy/src/config.ts';
import { readFlagsFile } from '../../proxy/src/flags/file-format.ts';
import { createRegistry, loadRouteFiles } from '../../proxy/src/routing/registry.ts';
import type { MigratedRoute } from '../../proxy/src/routing/route.ts';
import { fileFlags, type FileFlags } from './file-flag-state.ts';

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Everything migration-status.md is made of. Nothing here depends on the clock or on live traffic. */
export interface StatusInputs {
  routes: readonly MigratedRoute[];
  flags: FileFlags;
  authCutoff: string | undefined;
  reservedPrefix: string;
  /** Repository-relative (forward slashes) when inside the checkout, so the output does not depend on where it is. */
  sources: { routesDir: string; flagsFile: string };
}

// Only what the document is made of: an unrelated variable (say OIDC_ISSUER without its
// secret) in the caller's shell must not stop a CI check that never uses it.
const USED = ['MIGRATED_ROUTES_DIR', 'FLAGS_FILE', 'AUTH_CUTOFF', 'RESERVED_PREFIX'] as const;

/**
 * Reads the inputs the proxy itself would read, with its defaults and validation
 * (proxy/src/config.ts): the route declarations, checked as at start-up, and the flags
 * file, parsed by proxy/src/flags. The flags FILE always, even when UNLEASH_URL is set:
 * a committed document cannot follow a live server.
 */
export async function readStatusInputs(env: NodeJS.ProcessEnv = process.env): Promise<StatusInputs> {
  const config = loadConfig(Object.fromEntries(USED.map((name) => [name, env[name]])));
  // UNLEASH_URL is never passed on, so loadConfig always resolves the flags file (FLAGS_FILE or its default).
  const flagsFile = (config.flags as { file: string }).file;
  const routes = await loadRouteFiles(config.migratedRoutesDir);
  const registry = createRegistry(routes, config.reservedPrefix);
  const { data } = await readFlagsFile(flagsFile);
  return {
    routes: registry.routes.map((r) => r.route),
    flags: fileFlags(data),
    authCutoff: config.authCutoff,
    reservedPrefix: config.reservedPrefix,
    sources: { routesDir: displayPath(config.migratedRoutesDir) + '/', flagsFile: displayPath(flagsFile) },
  };
}

function displayPath(p: string): string {
  const rel = path.relative(REPO_ROOT, p);
  if (rel === '') return '.';
  return rel.startsWith('..') || path.isAbsolute(rel) ? p : rel.split(path.sep).join('/');
}
