import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { ShadowRules } from './route.ts';
import { createShadowRunner, type ShadowInput, type ShadowRunnerOptions } from './shadow-runner.ts';
import { createShadowStats, type ShadowOutcome, type ShadowStats } from './shadow-stats.ts';

function setup(options: Partial<ShadowRunnerOptions> = {}) {
  const lines: string[] = [];
  const stats = createShadowStats();
  const log = pino({ level: 'debug' }, { write: (line: string) => lines.push(line) });
  const runner = createShadowRunner({ maxConcurrent: 10, maxBodyBytes: 64 * 1024, stats, log, ...options });
  return { runner, stats, lines };
}

/** Resolves with the next outcome the stats see: completion runs on a later turn. */
function nextOutcome(stats: ShadowStats): Promise<ShadowOutcome> {
  return new Promise((resolve) => {
    const leave = stats.onOutcome((_, outcome) => {
      leave();
      resolve(outcome);
    });
  });
}

const json = (value: unknown, status = 200): ShadowInput['legacy'] => ({
  status,
  contentType: 'application/json; charset=utf-8',
  body: Buffer.from(JSON.stringify(value)),
});

async function run(
  input: Partial<ShadowInput>,
  rules: ShadowRules = {},
  env = setup(),
): Promise<ShadowOutcome> {
  const ticket = env.runner.begin('courses', rules);
  if (!ticket) throw new Error('no ticket');
  const outcome = nextOutcome(env.stats);
  ticket.complete({
    legacy: json({ ok: true }),
    migrated: { status: 200, body: { ok: true } },
    correlationId: 'corr-1',
    ...input,
  });
  return outcome;
}

describe('shadow runner outcomes', () => {
  it('matches equal JSON answers and reports a changed field without its value', async () => {
    const env = setup();
    expect(await run({ legacy: json({ name: 'Grace Hopper', id: 1 }), migrated: { status: 200, body: { id: 1, name: 'Grace Hopper' } } }, {}, env))
      .toMatchObject({ result: 'match' });
    const outcome = await run({ legacy: json({ name: 'Grace Hopper' }), migrated: { status: 200, body: { name: 'Grace Brewster' } } }, {}, env);
    expect(outcome).toMatchObject({ result: 'mismatch', differences: [{ path: 'name', kind: 'changed' }] });
    const everything = JSON.stringify(env.stats.snapshot()) + env.lines.join('');
    expect(everything).not.toContain('Hopper');
    expect(everything).not.toContain('Brewster');
    expect(env.lines.join('')).toContain('name (changed)');
  });

  it('compares the migrated body as it would be sent (toJSON applied, undefined fields gone)', async () => {
    const at = new Date('2025-01-01T00:00:00Z');
    const outcome = await run({
      legacy: json({ at: at.toISOString(), note: 'x' }),
      migrated: { status: 200, body: { at, note: 'x', draft: undefined } },
    });
    expect(outcome.result).toBe('match');
  });

  it('reports differing statuses as one difference at $status', async () => {
    const outcome = await run({ legacy: json({ id: 1 }), migrated: { status: 404, body: { title: 'Not Found' } } });
    expect(outcome).toMatchObject({
      result: 'mismatch',
      differences: [{ path: '$status', kind: 'changed', legacy: '200', migrated: '404' }],
    });
  });

  it('counts what cannot be compared as an error or a skip, with a reason', async () => {
    const env = setup({ maxBodyBytes: 100 });
    const html = { status: 200, contentType: 'text/html', body: Buffer.from('<p>hi</p>') };
    expect(await run({ legacy: html }, {}, env)).toMatchObject({ result: 'error', reason: 'legacy answer not JSON' });
    expect(await run({ migrated: { error: new Error('boom for user 42') } }, {}, env)).toMatchObject({
      result: 'error',
      reason: 'migrated handler threw',
    });
    expect(await run({ legacy: json({}, 503), migrated: { status: 200, body: {} } }, {}, env)).toMatchObject({ result: 'error' });
    expect(await run({ legacy: { status: 200, body: null } }, {}, env)).toMatchObject({ result: 'skipped' });
    expect(await run({ legacy: json({ text: 'x'.repeat(200) }) }, {}, env)).toMatchObject({ result: 'skipped' });
    expect(env.stats.snapshot('courses')).toMatchObject({ error: 3, skipped: 2, match: 0, mismatch: 0 });
    expect(env.lines.join('')).not.toContain('user 42');
  });

  it('learns noise from the second legacy answer before comparing the migrated one', async () => {
    const env = setup();
    const ticket = env.runner.begin('courses', {});
    expect(ticket?.calibrate).toBe(true);
    const outcome = nextOutcome(env.stats);
    ticket?.complete({
      legacy: json({ generatedAt: 't1', courses: [{ title: 'Maths' }] }),
      legacySecond: { status: 200, body: { generatedAt: 't2', courses: [{ title: 'Maths' }] } },
      migrated: { status: 200, body: { generatedAt: 't3', courses: [{ title: 'Physics' }] } },
      correlationId: 'c-9',
    });
    expect(await outcome).toMatchObject({ result: 'mismatch', differences: [{ path: 'courses[0].title' }] });
    expect(env.stats.snapshot('courses').noisyPaths).toEqual(['generatedAt']);

    // Later requests without calibration keep the learned noise.
    expect(await run({
      legacy: json({ generatedAt: 't4', courses: [] }),
      migrated: { status: 200, body: { generatedAt: 't5', courses: [] } },
    }, {}, env)).toMatchObject({ result: 'match' });
  });

  it('asks for calibration at the route rate, using the injected random source', () => {
    const { runner } = setup({ random: () => 0.7 });
    expect(runner.begin('a', { calibrationRate: 0.5 })?.calibrate).toBe(false);
    expect(runner.begin('b', { calibrationRate: 0.8 })?.calibrate).toBe(true);
  });

  it('never throws into the caller, even on nonsense input', async () => {
    const env = setup();
    const ticket = env.runner.begin('courses', { ignore: ['bad[pattern'] });
    const outcome = nextOutcome(env.stats);
    expect(() => ticket?.complete({ legacy: json({ a: 1 }), migrated: { status: 200, body: { a: 2 } }, correlationId: 'c' })).not.toThrow();
    expect(await outcome).toMatchObject({ result: 'error', reason: 'comparison failed' });
    expect(env.runner.inFlight()).toBe(0);
  });
});

describe('shadow runner slots', () => {
  it('refuses a third ticket with maxConcurrent 2 and counts it as skipped', async () => {
    const { runner, stats } = setup({ maxConcurrent: 2 });
    const first = runner.begin('courses', {});
    const second = runner.begin('courses', {});
    expect(first).not.toBeNull();
    expect(second).not.toBeNull();
    expect(runner.begin('courses', {})).toBeNull();
    expect(runner.inFlight()).toBe(2);
    expect(stats.snapshot('courses')).toMatchObject({ skipped: 1, reasons: { skipped: { 'over concurrency cap': 1 } } });

    second?.abandon('client went away');
    expect(runner.inFlight()).toBe(1);
    const done = nextOutcome(stats);
    first?.complete({ legacy: json({}), migrated: { status: 200, body: {} }, correlationId: 'c' });
    await done;
    expect(runner.inFlight()).toBe(0);
    expect(runner.begin('courses', {})).not.toBeNull();
  });

  it('counts a ticket once however often it is completed or abandoned', async () => {
    const { runner, stats } = setup();
    const ticket = runner.begin('courses', {});
    const input: ShadowInput = { legacy: json({}), migrated: { status: 200, body: {} }, correlationId: 'c' };
    const done = nextOutcome(stats);
    ticket?.complete(input);
    ticket?.complete(input);
    ticket?.abandon('late');
    await done;
    await new Promise((resolve) => setImmediate(resolve));
    expect(stats.snapshot('courses')).toMatchObject({ match: 1, skipped: 0 });
    expect(runner.inFlight()).toBe(0);

    const abandoned = runner.begin('courses', {});
    abandoned?.abandon('client went away');
    abandoned?.abandon('client went away');
    abandoned?.complete(input);
    await new Promise((resolve) => setImmediate(resolve));
    expect(stats.snapshot('courses')).toMatchObject({ match: 1, skipped: 1 });
    expect(runner.inFlight()).toBe(0);
  });

  it('frees the slot of a ticket nobody completes', async () => {
    const { runner, stats } = setup({ maxConcurrent: 1, ticketTimeoutMs: 20 });
    runner.begin('courses', {});
    expect(await nextOutcome(stats)).toMatchObject({ result: 'skipped', reason: 'ticket timed out' });
    expect(runner.inFlight()).toBe(0);
  });
});
