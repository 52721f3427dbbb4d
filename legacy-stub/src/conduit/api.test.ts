import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../test-client.ts';
import { startConduitStub, type ConduitStub } from './server.ts';

const asToken = (token: string) => ({ authorization: `Token ${token}` });

describe('Conduit stand-in: paths with slugs and usernames', () => {
  let stub: ConduitStub;
  beforeAll(async () => {
    stub = await startConduitStub({ quiet: true });
  });
  afterAll(() => stub.close());

  it('has no /health: 404 in the Conduit error shape', async () => {
    for (const path of ['/health', '/healthz', '/api/health']) {
      const res = await call(stub.url, path);
      expect(res.status, path).toBe(404);
      expect(res.body).toEqual({ errors: { body: ['not found'] } });
    }
  });

  it('serves every seeded article by its slug, whatever the slug looks like', async () => {
    const slugs = stub.articles.map((a) => a.slug);
    expect(slugs).toEqual(expect.arrayContaining(['how-to-train-your-dragon', 'notes-from-a-celebrity-author', 'welcome-to-conduit-3f9a1c', '2024-in-review']));
    expect(slugs.filter((s) => /-[0-9a-f]{6}$/.test(s)).length).toBeGreaterThanOrEqual(4);
    for (const slug of slugs) {
      const res = await call(stub.url, `/api/articles/${slug}`);
      expect(res.status, slug).toBe(200);
      expect(res.body.article).toMatchObject({ slug, author: { username: expect.any(String), following: false }, favorited: false });
    }
    const missing = await call(stub.url, '/api/articles/how-to-train-your-dragon-2');
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ errors: { article: ['not found'] } });
  });

  it('lists articles newest first, by author, with limit and offset; 422 for a bad limit', async () => {
    const all = await call(stub.url, '/api/articles');
    expect(all.body.articlesCount).toBe(stub.articles.length);
    const dates = all.body.articles.map((a: { createdAt: string }) => a.createdAt);
    expect(dates).toEqual([...dates].sort().reverse());

    const jakes = await call(stub.url, '/api/articles?author=jake&limit=2&offset=1');
    expect(jakes.body.articlesCount).toBe(stub.articles.filter((a) => a.author === 'jake').length);
    expect(jakes.body.articles.map((a: { slug: string }) => a.slug)).toEqual(
      stub.articles.filter((a) => a.author === 'jake').slice(1, 3).map((a) => a.slug),
    );
    expect((await call(stub.url, '/api/articles?author=nobody')).body).toEqual({ articles: [], articlesCount: 0 });
    expect((await call(stub.url, '/api/articles?tag=dragons')).body.articles.map((a: { slug: string }) => a.slug)).toEqual(['how-to-train-your-dragon']);

    const bad = await call(stub.url, '/api/articles?limit=ten');
    expect(bad.status).toBe(422);
    expect(bad.body).toEqual({ errors: { limit: [expect.any(String)] } });
  });

  it('serves profiles by username, following as the caller sees it; 404 for an unknown one', async () => {
    const anonymous = await call(stub.url, '/api/profiles/ingrid');
    expect(anonymous.body).toEqual({ profile: { username: 'ingrid', bio: expect.any(String), image: expect.any(String), following: false } });
    const asJake = await call(stub.url, '/api/profiles/ingrid', { headers: asToken(stub.issueToken('jake')) });
    expect(asJake.body.profile.following).toBe(true);
    const unknown = await call(stub.url, '/api/profiles/nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ errors: { profile: ['not found'] } });
  });

  it('lists an article’s comments with their authors', async () => {
    const res = await call(stub.url, '/api/articles/how-to-train-your-dragon/comments');
    expect(res.status).toBe(200);
    expect(res.body.comments).toHaveLength(2);
    expect(res.body.comments[0]).toEqual({
      id: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      body: 'It takes a Jacobian',
      author: { username: 'ingrid', bio: expect.any(String), image: expect.any(String), following: false },
    });
    expect((await call(stub.url, '/api/articles/no-such-article/comments')).status).toBe(404);
  });

  it('favourites an article for a signed-in caller only, once per caller', async () => {
    const slug = 'notes-from-a-celebrity-author';
    const before = (await call(stub.url, `/api/articles/${slug}`)).body.article.favoritesCount;
    expect((await call(stub.url, `/api/articles/${slug}/favorite`, { method: 'POST' })).status).toBe(401);

    const headers = asToken(stub.issueToken('ola'));
    for (let i = 0; i < 2; i++) {
      const res = await call(stub.url, `/api/articles/${slug}/favorite`, { method: 'POST', headers });
      expect(res.status).toBe(200);
      expect(res.body.article).toMatchObject({ slug, favorited: true, favoritesCount: before + 1 });
    }
    const undone = await call(stub.url, `/api/articles/${slug}/favorite`, { method: 'DELETE', headers });
    expect(undone.body.article).toMatchObject({ favorited: false, favoritesCount: before });
  });

  it('serves the feed of followed authors to a signed-in caller, not as an article called "feed"', async () => {
    expect((await call(stub.url, '/api/articles/feed')).status).toBe(401);
    const feed = await call(stub.url, '/api/articles/feed', { headers: asToken(stub.issueToken('jake')) });
    expect(feed.status).toBe(200);
    expect(feed.body.articles.length).toBeGreaterThan(0);
    expect(new Set(feed.body.articles.map((a: { author: { username: string } }) => a.author.username))).toEqual(new Set(['ingrid']));
  });

  it('lists tags, the most used first', async () => {
    const { tags } = (await call(stub.url, '/api/tags')).body;
    expect(new Set(tags)).toEqual(new Set(stub.articles.flatMap((a) => a.tagList)));
    expect(tags.slice(0, 3).sort()).toEqual(['migration', 'norway', 'training']);
  });

  it('records what reached it, raw target and headers (Authorization included), newest last', async () => {
    const token = stub.issueToken('ingrid');
    const res = await fetch(`${stub.url}/api/profiles/jake?x=%2F`, { headers: { Authorization: `Token ${token}`, 'X-Trace': 'one' } });
    expect(res.status).toBe(200);
    const last = stub.received.at(-1)!;
    expect(last).toMatchObject({ method: 'GET', url: '/api/profiles/jake?x=%2F' });
    const headers = Object.fromEntries(last.rawHeaders.flatMap((v, i, all) => (i % 2 === 0 ? [[v.toLowerCase(), all[i + 1]]] : [])));
    expect(headers).toMatchObject({ authorization: `Token ${token}`, 'x-trace': 'one' });
  });
});
