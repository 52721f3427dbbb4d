import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../test-support/free-port.ts';
import { until } from '../../../test-support/until.ts';
import { startUnleashApiStub } from '../../../test-support/unleash-api-stub.ts';
import { createFlags, type Flags } from './index.ts';

/**
 * "Can anyone be on the new side of this route right now?" A "no" lets a request skip its
 * caller and go straight to the legacy API, so a wrong "no" would hide a rollout: every "no"
 * here is checked against decide() for many users.
 */

const silent = pino({ level: 'silent' });
const USERS = Array.from({ length: 500 }, (_, i) => ({ userId: `user-${i}`, sessionId: `session-${i}` }));
const FLAG = 'route.dashboard';

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const step of cleanup.reverse()) await step();
  cleanup = [];
});

const rollout = (share: number | string, extra: object = {}) => ({
  name: 'flexibleRollout',
  parameters: { rollout: String(share), stickiness: 'default', groupId: FLAG },
  constraints: [],
  ...extra,
});
const feature = (name: string, enabled: boolean, strategies: object[]) => ({ name, enabled, strategies });
const payload = (...features: object[]) => ({ version: 2, features });
const shadowOff = feature(`${FLAG}.shadow`, false, [{ name: 'default', parameters: {}, constraints: [] }]);
const shadowOn = feature(`${FLAG}.shadow`, true, [{ name: 'default', parameters: {}, constraints: [] }]);

async function unleash(initial: unknown): Promise<{ flags: Flags; stub: Awaited<ReturnType<typeof startUnleashApiStub>> }> {
  const stub = await startUnleashApiStub(initial);
  cleanup.push(() => stub.stop());
  const flags = await createFlags({ mode: 'unleash', url: stub.url, appName: 'may-leave-legacy-test', refreshMs: 200 }, silent);
  cleanup.push(() => flags.close());
  return { flags, stub };
}

const everyoneLegacy = (flags: Flags) => USERS.every((ctx) => flags.decide(FLAG, ctx) === 'legacy');

describe('mayLeaveLegacy with Unleash', () => {
  it.each([
    ['a gradual rollout at 0%, shadow off', payload(feature(FLAG, true, [rollout(0)]), shadowOff)],
    ['a gradual rollout at 0% with constraints', payload(feature(FLAG, true, [rollout(0, { constraints: [{ contextName: 'userId', operator: 'IN', values: ['user-1'] }] })]), shadowOff)],
    ['two gradual rollouts at 0%', payload(feature(FLAG, true, [rollout(0), rollout('0')]))],
    ['the flag disabled, whatever its share', payload(feature(FLAG, false, [rollout(100)]), shadowOff)],
    ['no such flag', payload(feature('route.other', true, [rollout(100)]))],
  ])('"no" for %s, and decide() agrees for every user', async (_name, definitions) => {
    const { flags } = await unleash(definitions);
    expect(flags.loaded()).toBe(true);
    expect(flags.mayLeaveLegacy(FLAG)).toBe(false);
    expect(everyoneLegacy(flags)).toBe(true);
  });

  it.each([
    ['a gradual rollout at 1%', payload(feature(FLAG, true, [rollout(1)]), shadowOff)],
    ['shadow on at 0%', payload(feature(FLAG, true, [rollout(0)]), shadowOn)],
    ['only the shadow sibling defined', payload(shadowOn)],
    ['an enabled flag without strategies', payload(feature(FLAG, true, []))],
    ['a strategy it does not weigh (a user list)', payload(feature(FLAG, true, [rollout(0), { name: 'userWithId', parameters: { userIds: 'user-7' }, constraints: [] }]))],
  ])('"maybe" for %s', async (_name, definitions) => {
    const { flags } = await unleash(definitions);
    expect(flags.mayLeaveLegacy(FLAG)).toBe(true);
    // Each of these puts someone on the new side: "maybe" is not a needless detour.
    expect(everyoneLegacy(flags)).toBe(false);
  });

  it('follows a change on the server at the next poll, both ways', async () => {
    const { flags, stub } = await unleash(payload(feature(FLAG, true, [rollout(0)]), shadowOff));
    expect(flags.mayLeaveLegacy(FLAG)).toBe(false);
    stub.setFeatures(payload(feature(FLAG, true, [rollout(10)]), shadowOff));
    await until(() => flags.mayLeaveLegacy(FLAG));
    stub.setFeatures(payload(feature(FLAG, true, [rollout(0)]), shadowOn));
    await until(() => flags.state(FLAG).shadow);
    expect(flags.mayLeaveLegacy(FLAG)).toBe(true);
    // The kill switch in Unleash's own words: both features off.
    stub.setFeatures(payload(feature(FLAG, false, [rollout(10)]), shadowOff));
    await until(() => !flags.mayLeaveLegacy(FLAG));
    expect(everyoneLegacy(flags)).toBe(true);
  });

  it('counts a request it sends to legacy in the usage metrics Unleash gets, exactly as decide() counts one, and sends them at close', async () => {
    const definitions = payload(feature(FLAG, true, [rollout(0)]), shadowOff);
    const decided = await unleash(definitions);
    const skipped = await unleash(definitions);
    for (const ctx of USERS) expect(decided.flags.decide(FLAG, ctx)).toBe('legacy');
    for (let i = 0; i < USERS.length; i++) {
      expect(skipped.flags.mayLeaveLegacy(FLAG)).toBe(false);
      skipped.flags.countLegacy(FLAG);
    }
    // Nothing is sent before the metrics interval (a minute) but at close, as at a shutdown:
    // a rolling deploy loses none of it.
    expect(skipped.stub.usage(FLAG)).toEqual({ yes: 0, no: 0 });
    await decided.flags.close();
    await skipped.flags.close();
    expect(decided.stub.usage(FLAG)).toEqual({ yes: 0, no: USERS.length });
    expect(decided.stub.usage(`${FLAG}.shadow`)).toEqual({ yes: 0, no: USERS.length });
    expect(skipped.stub.usage(FLAG)).toEqual(decided.stub.usage(FLAG));
    expect(skipped.stub.usage(`${FLAG}.shadow`)).toEqual(decided.stub.usage(`${FLAG}.shadow`));
  });

  it('"no" while Unleash has never answered: everyone is on legacy then', async () => {
    const flags = await createFlags({ mode: 'unleash', url: `http://127.0.0.1:${await freePort()}/api`, appName: 'may-leave-legacy-test', refreshMs: 200, startupWaitMs: 200 }, silent);
    cleanup.push(() => flags.close());
    expect(flags.mayLeaveLegacy(FLAG)).toBe(false);
  });
});

describe('mayLeaveLegacy with a flags file', () => {
  it.each([
    [{ rollout: 0 }, false],
    [{ rollout: 100, enabled: false, shadow: true }, false],
    [{ rollout: 0, shadow: true }, true],
    [{ rollout: 1 }, true],
  ])('%j: %s', async (flag, maybe) => {
    const dir = await mkdtemp(path.join(tmpdir(), 'may-leave-legacy-'));
    cleanup.push(() => rm(dir, { recursive: true, force: true }));
    const file = path.join(dir, 'flags.json');
    await writeFile(file, JSON.stringify({ flags: { [FLAG]: flag } }));
    const flags = await createFlags({ mode: 'file', file }, silent);
    cleanup.push(() => flags.close());
    expect(flags.mayLeaveLegacy(FLAG)).toBe(maybe);
    expect(everyoneLegacy(flags)).toBe(!maybe);
  });
});
