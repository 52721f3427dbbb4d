import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createFlags, type Flags, type Side } from './index.ts';
import { until } from '../../../test-support/until.ts';

const silent = pino({ level: 'silent' });
const USERS = Array.from({ length: 2000 }, (_, i) => `user-${i}`);
const shippedFile = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../flags.json');

let dir: string;
let open: Flags[] = [];
beforeAll(async () => (dir = await mkdtemp(path.join(tmpdir(), 'flags-test-'))));
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(open.map((f) => f.close()));
  open = [];
});

let fileCount = 0;
async function flagsFile(content: unknown): Promise<string> {
  const file = path.join(dir, `flags-${++fileCount}.json`);
  await writeFile(file, JSON.stringify(content));
  return file;
}

/** Saves the way many editors do: write a sibling, then rename it over the original. */
async function replaceFile(file: string, content: unknown): Promise<void> {
  await writeFile(`${file}.tmp`, JSON.stringify(content));
  await rename(`${file}.tmp`, file);
}

async function start(file: string, log = silent): Promise<Flags> {
  const flags = await createFlags({ mode: 'file', file, pollMs: 100 }, log);
  open.push(flags);
  return flags;
}

function capturingLogger() {
  const lines: Array<{ level: number; msg: string; file?: string }> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, errors: () => lines.filter((l) => l.level >= 50) };
}

function sides(flags: Flags, flag: string, ids: string[]): Side[] {
  return ids.map((userId) => flags.decide(flag, { userId, sessionId: `session-of-${userId}` }));
}

function migratedShare(list: Side[]): number {
  return (100 * list.filter((s) => s === 'migrated').length) / list.length;
}

const one = (rollout: number, extra: object = {}) => ({ flags: { 'route.dashboard': { rollout, ...extra } } });

describe('file flags', () => {
  it('loads the shipped proxy/flags.json: dashboard shadowed, the other routes on legacy', async () => {
    const flags = await start(shippedFile);
    expect(flags.source).toBe('file');
    const ctx = { userId: 'u-1', sessionId: 's-1' };
    expect(flags.decide('route.dashboard', ctx)).toBe('shadow');
    expect(flags.decide('route.course-detail', ctx)).toBe('legacy');
    expect(flags.decide('route.enrollments', ctx)).toBe('legacy');
    expect(flags.state('route.dashboard')).toMatchObject({ exists: true, enabled: true, rollout: 0, shadow: true });
  });

  it('follows edits to the file within 2 seconds, whether rewritten in place or renamed over', async () => {
    const file = await flagsFile(one(0));
    const flags = await start(file);
    const ctx = { userId: 'u-42', sessionId: 's-42' };
    expect(flags.decide('route.dashboard', ctx)).toBe('legacy');

    await replaceFile(file, one(100));
    await until(() => flags.decide('route.dashboard', ctx) === 'migrated');
    expect(flags.state('route.dashboard').rollout).toBe(100);

    await writeFile(file, JSON.stringify(one(0)));
    await until(() => flags.decide('route.dashboard', ctx) === 'legacy');
  });

  it('puts about the configured share of users on the migrated route, each user always on the same side', async () => {
    const file = await flagsFile(one(10));
    const flags = await start(file);

    const at10 = sides(flags, 'route.dashboard', USERS);
    expect(Math.abs(migratedShare(at10) - 10)).toBeLessThanOrEqual(3);
    for (let round = 0; round < 5; round++) expect(sides(flags, 'route.dashboard', USERS)).toEqual(at10);
    // The user id decides, not the session: a user keeps their side across sessions.
    const u = USERS[7]!;
    expect(flags.decide('route.dashboard', { userId: u, sessionId: 'another-session' })).toBe(at10[7]);

    await replaceFile(file, one(50));
    await until(() => flags.state('route.dashboard').rollout === 50);
    const at50 = sides(flags, 'route.dashboard', USERS);
    expect(Math.abs(migratedShare(at50) - 50)).toBeLessThanOrEqual(3);
    expect(sides(flags, 'route.dashboard', USERS)).toEqual(at50);
    // Raising the share only adds users: nobody migrated at 10% goes back to legacy at 50%.
    const demoted = USERS.filter((_, i) => at10[i] === 'migrated' && at50[i] !== 'migrated');
    expect(demoted).toEqual([]);
  });

  it('keeps anonymous callers sticky by their session id', async () => {
    const flags = await start(await flagsFile(one(50)));
    const sessions = USERS.map((u) => `anon-${u}`);
    const first = sessions.map((sessionId) => flags.decide('route.dashboard', { sessionId }));
    expect(Math.abs(migratedShare(first) - 50)).toBeLessThanOrEqual(3);
    for (let round = 0; round < 5; round++) {
      expect(sessions.map((sessionId) => flags.decide('route.dashboard', { sessionId }))).toEqual(first);
    }
  });

  it('shadows everyone outside the migrated share when shadow is on', async () => {
    const flags = await start(
      await flagsFile({ flags: { 'route.dashboard': { rollout: 0, shadow: true }, 'route.enrollments': { rollout: 30, shadow: true } } }),
    );
    expect(new Set(sides(flags, 'route.dashboard', USERS))).toEqual(new Set(['shadow']));
    const mixed = sides(flags, 'route.enrollments', USERS);
    expect(new Set(mixed)).toEqual(new Set(['migrated', 'shadow']));
    expect(Math.abs(migratedShare(mixed) - 30)).toBeLessThanOrEqual(3);
  });

  it('sends everyone to legacy when the kill switch is off, whatever rollout and shadow say', async () => {
    const flags = await start(await flagsFile(one(100, { shadow: true, enabled: false })));
    expect(new Set(sides(flags, 'route.dashboard', USERS))).toEqual(new Set(['legacy']));
    expect(flags.state('route.dashboard')).toMatchObject({ exists: true, enabled: false, rollout: 0, shadow: false });
  });

  it('sends unknown flags, and a file without flags, to legacy', async () => {
    const flags = await start(await flagsFile(one(100)));
    expect(flags.decide('route.nope', { userId: 'u', sessionId: 's' })).toBe('legacy');
    expect(flags.state('route.nope')).toEqual({
      name: 'route.nope', exists: false, enabled: false, rollout: 0, shadow: false, lastChangedAt: null,
    });

    const empty = await start(await flagsFile({ flags: {} }));
    expect(empty.decide('route.dashboard', { userId: 'u', sessionId: 's' })).toBe('legacy');
  });

  it('keeps the last good state after a bad edit and logs what is wrong, naming the file', async () => {
    const file = await flagsFile(one(100));
    const { log, errors } = capturingLogger();
    const flags = await start(file, log);
    const ctx = { userId: 'u-1', sessionId: 's-1' };
    expect(flags.decide('route.dashboard', ctx)).toBe('migrated');

    const logged = (text: string) => errors().some((e) => e.msg.includes(text) && e.msg.includes(file));
    await writeFile(file, '{ "flags": { "route.dashboard": { "rollout": 0, ');
    await until(() => logged('is not valid JSON'));
    await replaceFile(file, one(250));
    await until(() => logged('flags["route.dashboard"].rollout: must be an integer from 0 to 100'));
    await rm(file);
    await until(() => logged('does not exist'));

    expect(flags.decide('route.dashboard', ctx)).toBe('migrated');
    expect(flags.state('route.dashboard').rollout).toBe(100);

    await writeFile(file, JSON.stringify(one(0)));
    await until(() => flags.decide('route.dashboard', ctx) === 'legacy');
  });

  it('refuses to start on a missing or invalid file, naming the file and the problem', async () => {
    const missing = path.join(dir, 'absent.json');
    await expect(start(missing)).rejects.toThrow(`Flags file ${missing}: does not exist`);

    const notJson = await flagsFile('x');
    await writeFile(notJson, 'rollout: 10');
    await expect(start(notJson)).rejects.toThrow(new RegExp(`${notJson}: is not valid JSON`));

    const typo = await flagsFile({ flags: { 'route.dashboard': { rolout: 10 } } });
    await expect(start(typo)).rejects.toThrow(`${typo}: flags["route.dashboard"]: Unrecognized key: "rolout"`);

    const wrongType = await flagsFile({ flags: { 'route.dashboard': { rollout: 10, shadow: 'yes' } } });
    await expect(start(wrongType)).rejects.toThrow(`${wrongType}: flags["route.dashboard"].shadow: must be true or false`);
  });

  it('accepts a raw Unleash export and reports the largest share among its strategies', async () => {
    const feature = (name: string, enabled: boolean, strategies: object[]) => ({ name, enabled, strategies });
    const rollout = (n: number) => ({ name: 'flexibleRollout', parameters: { rollout: String(n), stickiness: 'default', groupId: 'g' }, constraints: [] });
    const flags = await start(
      await flagsFile({
        version: 2,
        features: [
          feature('route.dashboard', true, [rollout(20), rollout(60)]),
          feature('route.enrollments', true, [{ name: 'default', parameters: {}, constraints: [] }]),
          feature('route.enrollments.shadow', true, []),
          feature('route.course-detail', false, [rollout(100)]),
        ],
      }),
    );
    expect(flags.state('route.dashboard')).toMatchObject({ exists: true, enabled: true, rollout: 60, shadow: false });
    expect(flags.state('route.enrollments')).toMatchObject({ rollout: 100, shadow: true });
    expect(flags.state('route.course-detail')).toMatchObject({ exists: true, enabled: false, rollout: 0 });
    expect(flags.decide('route.enrollments', { sessionId: 'anyone' })).toBe('migrated');
    expect(flags.decide('route.course-detail', { sessionId: 'anyone' })).toBe('legacy');
  });

  it('dates each flag by the last change of its own definition', async () => {
    const file = await flagsFile({ flags: { 'route.dashboard': { rollout: 0 }, 'route.enrollments': { rollout: 0 } } });
    const flags = await start(file);
    const loadedAt = flags.state('route.enrollments').lastChangedAt;
    expect(loadedAt).not.toBeNull();

    await new Promise((r) => setTimeout(r, 20));
    await replaceFile(file, { flags: { 'route.dashboard': { rollout: 0, shadow: true }, 'route.enrollments': { rollout: 0 } } });
    await until(() => flags.state('route.dashboard').shadow);
    expect(flags.state('route.dashboard').lastChangedAt! > loadedAt!).toBe(true);
    expect(flags.state('route.enrollments').lastChangedAt).toBe(loadedAt);
  });
});
