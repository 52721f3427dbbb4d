import { describe, expect, it } from 'vitest';
import { compareJson } from './shadow-compare.ts';
import { createNoiseModel } from './shadow-noise.ts';

describe('noise model', () => {
  it('learns a field that differs between two legacy answers and stops reporting it, but not a real regression', () => {
    const model = createNoiseModel();
    const legacyA = { generatedAt: '2025-01-01T10:00:00Z', courses: [{ id: 1, title: 'Maths' }] };
    const legacyB = { generatedAt: '2025-01-01T10:00:01Z', courses: [{ id: 1, title: 'Maths' }] };
    const migrated = { generatedAt: '2025-01-01T10:00:02Z', courses: [{ id: 1, title: 'Physics' }] };

    // Before calibration the timestamp shows as a difference.
    expect(compareJson(legacyA, migrated, {}).map((d) => d.path)).toEqual(['generatedAt', 'courses[0].title']);

    model.learn(legacyA, legacyB, {});
    expect([...model.noisyPaths()]).toEqual(['generatedAt']);
    expect(compareJson(legacyA, migrated, {}, model.noisyPaths())).toEqual([
      { path: 'courses[0].title', kind: 'changed', legacy: 'string(5)', migrated: 'string(7)' },
    ]);
  });

  it('keeps noise paths normalised, so noise at one index covers every element', () => {
    const model = createNoiseModel();
    model.learn({ items: [{ v: 1, t: 1 }, { v: 2, t: 1 }] }, { items: [{ v: 1, t: 1 }, { v: 2, t: 9 }] }, {});
    expect([...model.noisyPaths()]).toEqual(['items[*].t']);
    const differences = compareJson({ items: [{ v: 1, t: 1 }] }, { items: [{ v: 1, t: 5 }] }, {}, model.noisyPaths());
    expect(differences).toEqual([]);
  });

  it('learns a field the legacy API sends only sometimes, even when the route allows extra fields', () => {
    const model = createNoiseModel();
    model.learn({ a: 1 }, { a: 1, debugId: 'x' }, { extraFields: 'allow' });
    expect(model.noisyPaths().has('debugId')).toBe(true);
  });

  it('never learns the whole answer or array growth, which would silence everything below', () => {
    const model = createNoiseModel();
    model.learn({ a: 1 }, [1], {});
    model.learn({ items: [1, 2] }, { items: [1, 2, 3] }, {});
    expect(model.noisyPaths().size).toBe(0);
  });

  it('bounds the number of learned paths', () => {
    const model = createNoiseModel({ maxPaths: 5 });
    const answer = (v: number) => Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`f${i}`, v]));
    model.learn(answer(1), answer(2), {});
    model.learn(answer(3), answer(4), {});
    expect(model.noisyPaths().size).toBe(5);
  });

  it('by default calibrates every request until 20 calibrations in a row learned nothing, then one in 20, and every request again once one learns a field', () => {
    let draw = 0.5; // above the quiet rate: a random draw decides only once the model has settled
    const model = createNoiseModel({ random: () => draw });
    const same = { generatedAt: 't0', courses: [{ id: 1 }] };
    model.learn(same, { ...same, generatedAt: 't1' }, {});
    for (let i = 0; i < 19; i++) {
      expect(model.shouldCalibrate()).toBe(true);
      model.learn(same, { ...same, generatedAt: `t${i + 2}` }, {}); // known noise only: nothing new
    }
    expect(model.shouldCalibrate()).toBe(true);
    model.learn(same, same, {}); // the 20th in a row with nothing new
    expect([1, 2, 3].map(() => model.shouldCalibrate())).toEqual([false, false, false]);
    draw = 0.04;
    expect(model.shouldCalibrate()).toBe(true);
    // A field that starts to vary later is still learned, and calibration is back to every request.
    model.learn({ ...same, requestId: 'a' }, { ...same, requestId: 'b' }, {});
    expect(model.noisyPaths().has('requestId')).toBe(true);
    draw = 0.5;
    expect(model.shouldCalibrate()).toBe(true);
  });

  it('a configured rate stays what it is, however quiet the answers', () => {
    const model = createNoiseModel({ calibrationRate: 1, random: () => 0.99 });
    for (let i = 0; i < 50; i++) model.learn({ a: 1 }, { a: 1 }, {});
    expect(model.shouldCalibrate()).toBe(true);
  });

  it('calibrates at the configured rate, with an injectable random source', () => {
    const draws = [0.1, 0.5, 0.24, 0.9];
    const model = createNoiseModel({ calibrationRate: 0.25, random: () => draws.shift() ?? 1 });
    expect([1, 2, 3, 4].map(() => model.shouldCalibrate())).toEqual([true, false, true, false]);
    expect(createNoiseModel().shouldCalibrate()).toBe(true);
    expect(createNoiseModel({ calibrationRate: 0, random: () => 0 }).shouldCalibrate()).toBe(false);
  });
});
