import { describe, expect, it } from 'vitest';
import { compareJson } from './shadow-compare.ts';
import { validateShadowRules } from './shadow-rules.ts';
import { normalisePath } from './shadow-path.ts';

const parse = (text: string): unknown => JSON.parse(text);

describe('compareJson', () => {
  it('ignores key order and number formatting', () => {
    const legacy = parse('{"a": 1.0, "b": {"x": 1e2, "y": [1, 2.50]}, "c": null}');
    const migrated = parse('{"c": null, "b": {"y": [1, 2.5], "x": 100}, "a": 1}');
    expect(compareJson(legacy, migrated, {})).toEqual([]);
  });

  it('reports a changed nested field by path with descriptions, never the values', () => {
    const legacy = { user: { displayName: 'Ada Lovelace', id: 7 }, courses: [{}, {}, {}, { status: 'open' }] };
    const migrated = { user: { displayName: 'Ada King', id: 7 }, courses: [{}, {}, {}, { status: 'closed-for-good' }] };
    const differences = compareJson(legacy, migrated, {});
    expect(differences).toEqual([
      { path: 'user.displayName', kind: 'changed', legacy: 'string(12)', migrated: 'string(8)' },
      { path: 'courses[3].status', kind: 'changed', legacy: 'string(4)', migrated: 'string(15)' },
    ]);
    const text = JSON.stringify(differences);
    for (const value of ['Ada', 'Lovelace', 'King', 'open', 'closed']) expect(text).not.toContain(value);
  });

  it('tells missing, extra and type differences apart', () => {
    const legacy = { email: 'a@b.example', age: 42, tags: ['x', 'y'], meta: { n: 1 } };
    const migrated = { age: '42', tags: ['x'], meta: [1], nickname: 'ab' };
    expect(compareJson(legacy, migrated, {})).toEqual([
      { path: 'email', kind: 'missing', legacy: 'string(11)', migrated: 'absent' },
      { path: 'age', kind: 'type', legacy: 'number', migrated: 'string(2)' },
      { path: 'tags[1]', kind: 'missing', legacy: 'string(1)', migrated: 'absent' },
      { path: 'meta', kind: 'type', legacy: 'object', migrated: 'array(1)' },
      { path: 'nickname', kind: 'extra', legacy: 'absent', migrated: 'string(2)' },
    ]);
  });

  it('writes odd keys quoted and a whole-answer difference as $', () => {
    expect(compareJson({ 'first name': 'A' }, { 'first name': 'B' }, {})[0]?.path).toBe('["first name"]');
    expect(compareJson([1], { a: 1 }, {})).toEqual([{ path: '$', kind: 'type', legacy: 'array(1)', migrated: 'object' }]);
  });

  it('skips ignored fields and everything under them, with [*] and * patterns', () => {
    const legacy = {
      courses: [
        { title: 'A', updatedAt: '2024-01-01', audit: { by: 'x' } },
        { title: 'B', updatedAt: '2024-01-02', audit: { by: 'y' } },
      ],
      meta: { server: 'old-1', took: 12 },
    };
    const migrated = {
      courses: [
        { title: 'A', updatedAt: '2025-05-05', audit: { by: 'z', at: 1 } },
        { title: 'C', updatedAt: '2025-05-06', audit: 'none' },
      ],
      meta: { server: 'new-7', took: 3, region: 'eu' },
    };
    const rules = { ignore: ['courses[*].updatedAt', 'courses[*].audit', 'meta.*'] };
    expect(compareJson(legacy, migrated, rules)).toEqual([
      { path: 'courses[1].title', kind: 'changed', legacy: 'string(1)', migrated: 'string(1)' },
    ]);
    // `meta.*` covers meta's fields, not meta itself.
    expect(compareJson(legacy, { ...migrated, meta: undefined }, rules)).toContainEqual({
      path: 'meta',
      kind: 'missing',
      legacy: 'object',
      migrated: 'absent',
    });
  });

  it('compares arrays declared unordered as multisets, even of objects', () => {
    const legacy = { courses: [{ id: 1, tags: ['a', 'b'] }, { id: 2, tags: [] }, { id: 3, tags: ['c'] }] };
    const shuffled = { courses: [{ tags: ['c'], id: 3 }, { id: 1, tags: ['b', 'a'] }, { id: 2, tags: [] }] };
    expect(compareJson(legacy, shuffled, { unordered: ['courses', 'courses[*].tags'] })).toEqual([]);
    // Without the declaration, order counts.
    expect(compareJson(legacy, shuffled, {}).length).toBeGreaterThan(0);
    // Nested arrays keep their order unless declared too.
    expect(compareJson(legacy, shuffled, { unordered: ['courses'] })).toEqual([
      { path: 'courses[0].tags[0]', kind: 'changed', legacy: 'string(1)', migrated: 'string(1)' },
      { path: 'courses[0].tags[1]', kind: 'changed', legacy: 'string(1)', migrated: 'string(1)' },
    ]);
  });

  it('reports a changed field inside an unordered element at that field, and lost or added elements', () => {
    const legacy = { courses: [{ id: 1, status: 'open' }, { id: 2, status: 'open' }] };
    const changed = { courses: [{ id: 2, status: 'open' }, { id: 1, status: 'archived' }] };
    expect(compareJson(legacy, changed, { unordered: ['courses'] })).toEqual([
      { path: 'courses[0].status', kind: 'changed', legacy: 'string(4)', migrated: 'string(8)' },
    ]);
    const grown = { courses: [{ id: 3, status: 'new' }, ...legacy.courses] };
    expect(compareJson(legacy, grown, { unordered: ['courses'] })).toEqual([
      { path: 'courses[0]', kind: 'extra', legacy: 'absent', migrated: 'object' },
    ]);
  });

  it('applies ignore rules inside unordered elements before matching them', () => {
    const legacy = [{ id: 1, updatedAt: 'x' }, { id: 2, updatedAt: 'y' }];
    const migrated = [{ id: 2, updatedAt: 'q' }, { id: 1, updatedAt: 'r' }];
    expect(compareJson(legacy, migrated, { unordered: ['$'], ignore: ['[*].updatedAt'] })).toEqual([]);
  });

  it('lets the migrated answer be a superset with extraFields allow, and reports extras by default', () => {
    const legacy = { user: { id: 1 }, courses: [{ id: 1 }, { id: 2 }] };
    const migrated = { user: { id: 1, avatarUrl: 'https://x.example/a.png' }, courses: [{ id: 2, progress: 5 }, { id: 1, progress: 0 }], links: {} };
    expect(compareJson(legacy, migrated, { extraFields: 'report', unordered: ['courses'] })).toEqual([
      { path: 'user.avatarUrl', kind: 'extra', legacy: 'absent', migrated: 'string(23)' },
      { path: 'courses[0].progress', kind: 'extra', legacy: 'absent', migrated: 'number' },
      { path: 'courses[1].progress', kind: 'extra', legacy: 'absent', migrated: 'number' },
      { path: 'links', kind: 'extra', legacy: 'absent', migrated: 'object' },
    ]);
    expect(compareJson(legacy, migrated, { extraFields: 'allow', unordered: ['courses'] })).toEqual([]);
    // A missing field is still a difference, and so is an extra array element: the user would see it.
    expect(compareJson(legacy, { courses: [{ id: 1 }, { id: 2 }, { id: 3 }] }, { extraFields: 'allow' })).toEqual([
      { path: 'user', kind: 'missing', legacy: 'object', migrated: 'absent' },
      { path: 'courses[2]', kind: 'extra', legacy: 'absent', migrated: 'object' },
    ]);
  });

  it('skips noise paths and everything under them, at any index', () => {
    const legacy = { generatedAt: 1, courses: [{ updatedAt: 'a', title: 'T' }, { updatedAt: 'b', title: 'U' }] };
    const migrated = { generatedAt: 2, courses: [{ updatedAt: 'c', title: 'T' }, { updatedAt: 'd', title: 'V' }] };
    const noise = new Set(['generatedAt', 'courses[*].updatedAt']);
    expect(compareJson(legacy, migrated, {}, noise)).toEqual([
      { path: 'courses[1].title', kind: 'changed', legacy: 'string(1)', migrated: 'string(1)' },
    ]);
  });

  it('bounds the work: stops at the difference limit and survives absurd depth', () => {
    const wide = (v: number) => Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`f${i}`, v]));
    expect(compareJson(wide(1), wide(2), {})).toHaveLength(50);
    expect(compareJson(wide(1), wide(2), {}, new Set(), { maxDifferences: 3 })).toHaveLength(3);

    const deep = (leaf: number) => {
      let value: unknown = leaf;
      for (let i = 0; i < 2_000; i++) value = { next: value };
      return value;
    };
    const differences = compareJson(deep(1), deep(2), {});
    expect(differences).toHaveLength(1);
    expect(differences[0]?.kind).toBe('changed');
    expect(compareJson(deep(1), deep(1), {})).toEqual([]);
  });
});

describe('shadow paths and rules', () => {
  it('normalises indices to [*], leaving quoted keys alone', () => {
    expect(normalisePath('courses[3].tags[0]')).toBe('courses[*].tags[*]');
    expect(normalisePath('["a[1]"].b')).toBe('["a[1]"].b');
    expect(normalisePath('$')).toBe('$');
  });

  it('finds bad patterns and rates before a route goes live', () => {
    expect(validateShadowRules({ ignore: ['courses[*].updatedAt', 'meta.*', '$.x', '["a b"]'], unordered: ['$'] })).toEqual([]);
    const problems = validateShadowRules({ ignore: ['courses[x]', 'a..b', '$'], unordered: ['[*'], calibrationRate: 2 });
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toContain('courses[x]');
  });
});
