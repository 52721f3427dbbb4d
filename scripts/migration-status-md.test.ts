import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseFlagsFile } from '../proxy/src/flags/file-format.ts';
import { defineRoute, type MigratedRoute } from '../proxy/src/routing/route.ts';
import { fileFlags } from './lib-status/file-flag-state.ts';
import { renderStatusMarkdown } from './lib-status/render-status-md.ts';
import { runScript } from './lib-status/run-script.ts';
import { buildStatusModel } from './lib-status/status-model.ts';
import { readStatusInputs } from './lib-status/status-inputs.ts';

const SCRIPT = 'scripts/migration-status-md.ts';
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'status-md-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function flagsFile(name: string, flags: Record<string, unknown>): Promise<string> {
  const file = path.join(dir, name);
  await writeFile(file, JSON.stringify({ flags }));
  return file;
}

async function generate(env: Record<string, string>): Promise<string> {
  return renderStatusMarkdown(buildStatusModel(await readStatusInputs(env)));
}

const rowOf = (markdown: string, endpoint: string) => markdown.split('\n').find((l) => l.startsWith(`| ${endpoint} |`));

describe('migration-status.md from the shipped route declarations and a flags file', () => {
  it('says "canary 30% + shadow" for a route at rollout 30 with shadow, with owner, target date and what it replaces', async () => {
    const FLAGS_FILE = await flagsFile('canary.json', {
      'route.dashboard': { rollout: 30, shadow: true },
      'route.course-detail': { rollout: 0, shadow: true },
      'route.enrollments': { rollout: 0 },
    });
    const md = await generate({ FLAGS_FILE });
    expect(rowOf(md, 'GET /api/dashboard')).toBe('| GET /api/dashboard | canary 30% + shadow | route.dashboard | Course team | 2027-01-15 | GET /api/home |');
    expect(rowOf(md, 'GET /api/courses/:id')).toContain('| shadow |');
    expect(rowOf(md, 'POST /api/enrollments')).toContain('| proxied |');
    // Same inputs, same bytes: nothing in it depends on the clock.
    expect(await generate({ FLAGS_FILE })).toBe(md);
  });

  it('moves a route at rollout 100 to Migrated, a switched-off one back to proxied, and shows the auth cutoff', async () => {
    const FLAGS_FILE = await flagsFile('mixed.json', {
      'route.dashboard': { rollout: 100 },
      'route.course-detail': { rollout: 50, shadow: true, enabled: false },
      'route.enrollments': { rollout: 10 },
    });
    const md = await generate({ FLAGS_FILE, AUTH_CUTOFF: '2027-03-01T00:00:00Z' });
    const migrated = md.slice(md.indexOf('## Migrated'), md.indexOf('## In progress'));
    expect(migrated).toContain('| GET /api/dashboard | rollout 100%, no migratedDate yet | Course team |');
    expect(rowOf(md, 'GET /api/courses/:id')).toContain('| proxied | route.course-detail (switched off: enabled false) |');
    expect(rowOf(md, 'POST /api/enrollments')).toContain('| canary 10% |');
    expect(md).toContain('Cutoff (`AUTH_CUTOFF`): **2027-03-01T00:00:00Z**');
    expect(await generate({ FLAGS_FILE })).toContain('**not set**');
  });
});

describe('migrated, retired and contradictions', () => {
  const route = (over: Partial<MigratedRoute>): MigratedRoute =>
    defineRoute({ id: 'r', method: 'GET', path: '/api/r', flag: 'route.r', owner: 'Team', targetDate: '2027-01-01', handle: async () => ({ body: {} }), ...over });
  const model = (routes: MigratedRoute[], flags: Record<string, unknown>) =>
    buildStatusModel({
      routes,
      flags: fileFlags(parseFlagsFile(JSON.stringify({ flags }), 'test.json')),
      authCutoff: undefined,
      reservedPrefix: '/_proxy',
      sources: { routesDir: 'migrated-routes/', flagsFile: 'proxy/flags.json' },
    });

  it('retires the legacy endpoint of a migrated route with a migratedDate, but not one it answers at the same address', () => {
    const m = model(
      [
        route({ id: 'dashboard', path: '/api/dashboard', flag: 'route.dashboard', replaces: 'GET /api/home', migratedDate: '2027-01-20', notes: 'a | b' }),
        route({ id: 'course', path: '/api/courses/:id', flag: 'route.course', replaces: 'GET /api/courses/:id', migratedDate: '2027-02-03' }),
      ],
      { 'route.dashboard': { rollout: 100 }, 'route.course': { rollout: 100 } },
    );
    expect(m.retired).toEqual([{ endpoint: 'GET /api/home', retiredDate: '2027-01-20', replacement: 'GET /api/dashboard' }]);
    expect(m.warnings).toEqual([]);
    const md = renderStatusMarkdown(m);
    expect(md).toContain('| GET /api/home | 2027-01-20 | GET /api/dashboard |');
    expect(md).toContain('| GET /api/dashboard | 2027-01-20 | Team | a \\| b |');
  });

  it('lists what contradicts itself: migratedDate with the flag not at 100, a missing flag, an undeclared flag, shadow on a write', () => {
    const m = model(
      [
        route({ id: 'early', path: '/api/early', flag: 'route.early', migratedDate: '2027-01-20' }),
        route({ id: 'lost', path: '/api/lost', flag: 'route.lost' }),
        route({ id: 'write', method: 'POST', path: '/api/write', flag: 'route.write' }),
      ],
      { 'route.early': { rollout: 30 }, 'route.write': { shadow: true }, 'route.orphan': {} },
    );
    expect(m.migrated.map((r) => r.endpoint)).toEqual(['GET /api/early']);
    expect(m.warnings.join('\n')).toMatch(/`early` declares migratedDate 2027-01-20 but its flag `route.early` is at canary 30%/);
    expect(m.warnings.join('\n')).toMatch(/`route.lost` is not in the flags file/);
    expect(m.warnings.join('\n')).toMatch(/`write`: shadow is on, but POST requests are never shadowed/);
    expect(m.warnings.join('\n')).toMatch(/defines `route.orphan`, which no route declares/);
    expect(renderStatusMarkdown(m)).toContain('## Needs attention');
  });
});

describe('npm run status:md and its --check', () => {
  it('fails on a stale file with a hint of what differs, and passes once regenerated', async () => {
    const FLAGS_FILE = await flagsFile('check.json', { 'route.dashboard': { rollout: 0, shadow: true } });
    const file = path.join(dir, 'migration-status.md');
    const env = { FLAGS_FILE };

    const written = await runScript(SCRIPT, ['--file', file], env);
    expect(written.code).toBe(0);
    const fresh = await readFile(file, 'utf8');
    expect(fresh).toMatch(/^# Migration status\n\n> Generated by `npm run status:md`/);
    expect((await runScript(SCRIPT, ['--check', '--file', file], env)).code).toBe(0);

    // Someone edits the generated file by hand.
    await writeFile(file, fresh.replace('| GET /api/dashboard | shadow |', '| GET /api/dashboard | migrated |'));
    const stale = await runScript(SCRIPT, ['--check', '--file', file], env);
    expect(stale.code).toBe(1);
    expect(stale.stderr).toContain('is stale');
    expect(stale.stderr).toContain('Run `npm run status:md`');
    expect(stale.stderr).toMatch(/- line \d+: \| GET \/api\/dashboard \| migrated \|/);
    expect(stale.stderr).toMatch(/\+ line \d+: \| GET \/api\/dashboard \| shadow \|/);

    // The flags move on while the file stays: stale too.
    await writeFile(file, fresh);
    await writeFile(FLAGS_FILE, JSON.stringify({ flags: { 'route.dashboard': { rollout: 25, shadow: true } } }));
    expect((await runScript(SCRIPT, ['--check', '--file', file], env)).code).toBe(1);

    expect((await runScript(SCRIPT, ['--file', file], env)).code).toBe(0);
    const after = await runScript(SCRIPT, ['--check', '--file', file], env);
    expect(after.code).toBe(0);
    expect(after.stdout).toContain('is up to date');
    expect(await readFile(file, 'utf8')).toContain('| canary 25% + shadow |');
  });

  it('refuses, naming the problem, a missing file, a broken flags file, invalid declarations and a bad AUTH_CUTOFF', async () => {
    const missing = await runScript(SCRIPT, ['--check', '--file', path.join(dir, 'nope.md')], {});
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('does not exist');

    const broken = path.join(dir, 'broken.json');
    await writeFile(broken, '{ "flags": { "route.dashboard": { "rollout": 150 } } }');
    const badFlags = await runScript(SCRIPT, ['--check'], { FLAGS_FILE: broken });
    expect(badFlags.code).toBe(2);
    expect(badFlags.stderr).toContain(`Flags file ${broken}`);
    expect(badFlags.stderr).toContain('must be an integer from 0 to 100');

    // The declarations are checked as at the proxy's start-up.
    const shadowed = await runScript(SCRIPT, ['--check'], { MIGRATED_ROUTES_DIR: 'proxy/src/routing/fixtures/shadowed-routes' });
    expect(shadowed.code).toBe(2);
    expect(shadowed.stderr).toMatch(/would never be reached: route "any-course"/);

    const badCutoff = await runScript(SCRIPT, ['--check'], { AUTH_CUTOFF: 'next spring' });
    expect(badCutoff.code).toBe(2);
    expect(badCutoff.stderr).toContain('AUTH_CUTOFF="next spring"');
  });
});
