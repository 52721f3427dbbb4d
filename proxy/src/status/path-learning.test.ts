import { describe, it, expect } from 'vitest';
import { createPathLearner } from './path-learning.ts';
import { createEndpointTemplates } from './path-template.ts';

const SLUGS = Array.from({ length: 30 }, (_, i) => `notes-from-a-celebrity-author-part-${'abcdefghijklmnopqrstuvwxyzABCD'[i]}`);
const USERS = ['jake', 'ingrid', 'ola', 'kari', 'emma', 'nora', 'sofie', 'lars', 'per', 'anne', 'liv', 'tor', 'mia', 'eva', 'jon', 'siri', 'ida', 'leo', 'ella', 'noah', 'oscar', 'ada'];

describe('positions learned from traffic', () => {
  it('folds a position once more distinct values than the threshold came under one prefix', () => {
    const t = createEndpointTemplates({ learnThreshold: 20 });
    const keys = SLUGS.slice(0, 20).map((s) => t.endpoint('GET', `/api/articles/${s}`));
    expect(keys.every((k) => k.source === 'rule' && !k.key.includes(':id'))).toBe(true);
    expect(t.endpoint('GET', `/api/articles/${SLUGS[20]}`)).toEqual({ key: 'GET /api/articles/:id', source: 'learned' });
    // Paths seen before the position was learned (memoised then) fold too, from then on.
    expect(t.endpoint('GET', `/api/articles/${SLUGS[0]}`)).toEqual({ key: 'GET /api/articles/:id', source: 'learned' });
    expect(t.endpoint('GET', '/api/articles/how-to-train-your-dragon').key).toBe('GET /api/articles/:id');
    // ...and what hangs below it, under one prefix.
    expect(t.endpoint('GET', `/api/articles/how-to-train-your-dragon/comments`).key).toBe('GET /api/articles/:id/comments');
  });

  it('gives a few dozen usernames and slugs one row per endpoint', () => {
    const t = createEndpointTemplates({ learnThreshold: 20 });
    const rows = new Set<string>();
    for (const u of USERS) rows.add(t.endpoint('GET', `/api/profiles/${u}`).key);
    for (const s of SLUGS) rows.add(t.endpoint('GET', `/api/articles/${s}`).key);
    // Counted as they came, the first 20 of each are literal; regrouped at read time, one row each.
    const regrouped = new Set([...t.regroup([...rows]).values()].map((e) => `${e.key} ${e.source}`));
    expect([...regrouped].sort()).toEqual(['GET /api/articles/:id learned', 'GET /api/profiles/:id learned']);
    expect(t.endpoint('GET', '/api/profiles/jake').key).toBe('GET /api/profiles/:id');
  });

  it('learns each method apart, and never folds a namespace of resources however many it holds', () => {
    const t = createEndpointTemplates({ learnThreshold: 5 });
    for (const u of USERS.slice(0, 6)) t.endpoint('GET', `/api/profiles/${u}`);
    expect(t.endpoint('GET', '/api/profiles/jake').key).toBe('GET /api/profiles/:id');
    expect(t.endpoint('POST', '/api/profiles/jake/follow').key).toBe('POST /api/profiles/jake/follow');
    // `/api/<resource>`: a root or a namespace is not a collection; its children are endpoints, not entities.
    const resources = Array.from({ length: 40 }, (_, i) => `resource${String.fromCharCode(97 + (i % 26))}${i >= 26 ? 'x' : ''}`);
    for (const r of resources) expect(t.endpoint('GET', `/api/${r}`).key).toBe(`GET /api/${r}`);
    for (const r of resources) expect(t.endpoint('GET', `/${r}`).key).toBe(`GET /${r}`);
  });

  it('regroups rows counted before learning, by another instance or before a restart', () => {
    const live = createEndpointTemplates({ learnThreshold: 20 });
    const stored = ['GET /api/articles/:id', ...SLUGS.slice(0, 25).map((s) => `GET /api/articles/${s}`), 'GET /api/home', 'OTHER (more endpoints than the status page keeps)', 'GET (not a path)'];
    const out = live.regroup(stored);
    expect(out.get(`GET /api/articles/${SLUGS[3]}`)).toEqual({ key: 'GET /api/articles/:id', source: 'learned' });
    expect(out.get('GET /api/home')).toEqual({ key: 'GET /api/home', source: 'rule' });
    expect(out.get('OTHER (more endpoints than the status page keeps)')!.key).toBe('OTHER (more endpoints than the status page keeps)');
    expect(out.get('GET (not a path)')!.key).toBe('GET (not a path)');
    // Fewer rows than the threshold stay apart, unless this instance has learned the position live.
    expect(live.regroup(['GET /api/articles/one', 'GET /api/articles/two']).get('GET /api/articles/one')!.key).toBe('GET /api/articles/one');
    for (const s of SLUGS) live.endpoint('GET', `/api/articles/${s}`);
    expect(live.regroup(['GET /api/articles/one']).get('GET /api/articles/one')).toEqual({ key: 'GET /api/articles/:id', source: 'learned' });
  });
});

describe('the learner stays bounded whatever the traffic', () => {
  it('tracks a bounded number of prefixes, the least recently used leaving first', () => {
    const learner = createPathLearner({ threshold: 3, maxTracked: 100 });
    for (const v of ['a', 'b', 'c']) learner.observe('GET /hot', v);
    for (let i = 0; i < 5_000; i++) {
      learner.observe(`GET /cold-${i}s`, 'x');
      if (i % 50 === 0) learner.observe('GET /hot', 'a'); // still in use: stays
    }
    expect(learner.observe('GET /hot', 'd')).toBe(true);
    // The first cold prefix was dropped long ago: its one value is forgotten.
    for (const v of ['y', 'z', 'w']) expect(learner.observe('GET /cold-0s', v)).toBe(false);
    expect(learner.observe('GET /cold-0s', 'v')).toBe(true);
  });

  it('keeps a bounded number of learned positions, the oldest leaving first, and says when they change', () => {
    let changes = 0;
    const learner = createPathLearner({ threshold: 1, maxLearned: 50, onChange: () => changes++ });
    for (let i = 0; i < 1_000; i++) {
      learner.observe(`GET /p${i}s`, 'a');
      learner.observe(`GET /p${i}s`, 'b');
    }
    expect(changes).toBe(1_000);
    expect(learner.learned()).toHaveLength(50);
    expect(learner.learned()[49]).toBe('GET /p999s');
    expect(learner.folds('GET /p0s')).toBe(false);
  });

  it('keeps templating right with thousands of distinct prefixes passing through', () => {
    const t = createEndpointTemplates({ learnThreshold: 20 });
    for (let i = 0; i < 5_000; i++) {
      t.endpoint('GET', `/api/things-${i}s/value`);
      if (i % 100 === 0) t.endpoint('GET', `/api/profiles/${USERS[(i / 100) % USERS.length]}`);
    }
    expect(t.endpoint('GET', '/api/profiles/someone-new').key).toBe('GET /api/profiles/:id');
  });
});
