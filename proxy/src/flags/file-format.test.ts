import { describe, expect, it } from 'vitest';
import { parseFlagsFile } from './file-format.ts';

const parse = (content: unknown) => parseFlagsFile(JSON.stringify(content), '/etc/flags.json');

describe('flags file format', () => {
  it('turns a route flag into a sticky per-route rollout and a shadow sibling', () => {
    const { features } = parse({ flags: { 'route.dashboard': { rollout: 25, shadow: true, description: 'Dashboard' } } });
    expect(features).toEqual([
      expect.objectContaining({
        name: 'route.dashboard',
        enabled: true,
        description: 'Dashboard',
        strategies: [
          expect.objectContaining({
            name: 'flexibleRollout',
            parameters: { rollout: '25', stickiness: 'default', groupId: 'route.dashboard' },
          }),
        ],
      }),
      expect.objectContaining({ name: 'route.dashboard.shadow', enabled: true, strategies: [expect.objectContaining({ name: 'default' })] }),
    ]);
  });

  it('defaults to rollout 0, no shadow, enabled; the kill switch turns both features off', () => {
    const [main, shadow] = parse({ flags: { 'route.a': {} } }).features;
    expect(main).toMatchObject({ enabled: true, strategies: [{ parameters: { rollout: '0' } }] });
    expect(shadow).toMatchObject({ enabled: false });

    const killed = parse({ flags: { 'route.a': { rollout: 100, shadow: true, enabled: false } } }).features;
    expect(killed.map((f) => f.enabled)).toEqual([false, false]);
  });

  it('passes a raw Unleash client payload through unchanged', () => {
    const raw = {
      version: 2,
      features: [{ name: 'x', enabled: true, strategies: [], variants: [], impressionData: false }],
      segments: [{ id: 1, constraints: [] }],
    };
    expect(parse(raw)).toEqual(raw);
  });

  it('names the file and the offending place in every error', () => {
    expect(() => parse({ flags: { 'route.a.shadow': { rollout: 1 } } })).toThrow(
      /^Flags file \/etc\/flags\.json: invalid flag name "route\.a\.shadow"/,
    );
    expect(() => parse({ flags: { 'route.a': { rollout: 12.5 } } })).toThrow(
      'Flags file /etc/flags.json: flags["route.a"].rollout: must be an integer from 0 to 100',
    );
    expect(() => parse({ features: [{ name: 'x', enabled: 'yes' }], version: 2 })).toThrow(
      /^Flags file \/etc\/flags\.json: features\[0\]\.enabled: /,
    );
    expect(() => parse([1, 2])).toThrow('Flags file /etc/flags.json: must be a JSON object');
    expect(() => parse({ routes: {} })).toThrow(/^Flags file \/etc\/flags\.json: /);
  });
});
