import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { root } from '../processes.ts';

/** What the dashboard phase needs from the stand-in and the flags: tokens, faults, flags files. */

export const USERS = ['ingrid', 'ola', 'kari', 'lars', 'emma', 'nina'] as const;
export type User = (typeof USERS)[number];

/** One legacy JWT per seeded user, from the stand-in's own login. */
export async function loginAll(legacyUrl: string): Promise<Record<User, string>> {
  const entries = await Promise.all(
    USERS.map(async (username) => {
      const res = await fetch(`${legacyUrl}/api/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password: 'password' }),
      });
      if (!res.ok) throw new Error(`login as ${username} at the stand-in: ${res.status}`);
      return [username, ((await res.json()) as { token: string }).token] as const;
    }),
  );
  return Object.fromEntries(entries) as Record<User, string>;
}

/** Replaces the running stand-in's fault rules (`[]` clears them). */
export async function setFaults(legacyUrl: string, rules: object[]): Promise<void> {
  const res = await fetch(`${legacyUrl}/__stub/faults`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(rules) });
  if (!res.ok) throw new Error(`PUT /__stub/faults: ${res.status} ${await res.text()}`);
}

export function slowNotifications(latencyMs: number): object[] {
  return [{ method: 'GET', path: '^/api/notifications/unread$', latencyMs }];
}

/**
 * Temp copies of proxy/flags.json with route.dashboard at rollout 0 (legacy: /api/dashboard
 * is forwarded as /api/home) and at 100 (migrated), shadowing off in both so neither row
 * pays for a comparison. Returns the directory (for the wrk script too) and both paths.
 */
export function writeFlagsFiles(): { dir: string; legacy: string; migrated: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'bench-dashboard-'));
  const base = JSON.parse(readFileSync(path.join(root, 'proxy', 'flags.json'), 'utf8')) as { flags: Record<string, object> };
  const write = (name: string, rollout: number) => {
    const file = path.join(dir, name);
    const flags = { ...base.flags, 'route.dashboard': { ...base.flags['route.dashboard'], rollout, shadow: false } };
    writeFileSync(file, JSON.stringify({ flags }, null, 2));
    return file;
  };
  return { dir, legacy: write('flags-legacy.json', 0), migrated: write('flags-migrated.json', 100) };
}
