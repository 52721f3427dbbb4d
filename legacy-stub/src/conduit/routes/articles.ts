import { Router, type Request } from 'express';
import { callerOf, requireCaller, signedIn } from '../auth.ts';
import { conduitErrors } from '../errors.ts';
import type { ConduitArticle, ConduitWorld } from '../seed.ts';
import { articleOf, commentOf } from '../views.ts';

export function articleRoutes(world: ConduitWorld): Router {
  const router = Router();

  router.get('/api/articles', (req, res) => {
    const [author, tag, favorited] = [text(req, 'author'), text(req, 'tag'), text(req, 'favorited')];
    const matching = world.articles.filter(
      (a) =>
        (author === undefined || a.author === author) &&
        (tag === undefined || a.tagList.includes(tag)) &&
        (favorited === undefined || (world.favorites.get(a.slug)?.has(favorited) ?? false)),
    );
    res.json(page(req, matching, (a) => articleOf(world, a, callerOf(res))));
  });

  // Declared before /:slug: `feed` is a word of the API here, not an article.
  router.get('/api/articles/feed', requireCaller, (req, res) => {
    const { user } = signedIn(res);
    const followed = world.follows.get(user.username) ?? new Set<string>();
    const matching = world.articles.filter((a) => followed.has(a.author));
    res.json(page(req, matching, (a) => articleOf(world, a, user)));
  });

  router.get('/api/articles/:slug', (req, res) => {
    res.json({ article: articleOf(world, articleIn(world, req), callerOf(res)) });
  });

  router.get('/api/articles/:slug/comments', (req, res) => {
    const { slug } = articleIn(world, req);
    const comments = world.comments.filter((c) => c.slug === slug).map((c) => commentOf(world, c, callerOf(res)));
    res.json({ comments });
  });

  router.post('/api/articles/:slug/favorite', requireCaller, (req, res) => {
    const article = articleIn(world, req);
    const { user } = signedIn(res);
    const fans = world.favorites.get(article.slug) ?? new Set<string>();
    world.favorites.set(article.slug, fans.add(user.username));
    res.json({ article: articleOf(world, article, user) });
  });

  router.delete('/api/articles/:slug/favorite', requireCaller, (req, res) => {
    const article = articleIn(world, req);
    const { user } = signedIn(res);
    world.favorites.get(article.slug)?.delete(user.username);
    res.json({ article: articleOf(world, article, user) });
  });

  router.get('/api/tags', (_req, res) => {
    const counts = new Map<string, number>();
    for (const tag of world.articles.flatMap((a) => a.tagList)) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    const popularFirst = [...counts].sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1)).map(([tag]) => tag);
    res.json({ tags: popularFirst });
  });

  return router;
}

/** The article the path's `:slug` names. */
function articleIn(world: ConduitWorld, req: Request): ConduitArticle {
  const article = world.articles.find((a) => a.slug === req.params.slug);
  if (!article) throw conduitErrors.notFound('article');
  return article;
}

/** `?limit=` (default 20) and `?offset=` (default 0) over the newest-first list. */
function page<T>(req: Request, articles: readonly ConduitArticle[], view: (a: ConduitArticle) => T) {
  const limit = count(req, 'limit', 20);
  const offset = count(req, 'offset', 0);
  return { articles: articles.slice(offset, offset + limit).map(view), articlesCount: articles.length };
}

function count(req: Request, name: string, fallback: number): number {
  const raw = text(req, name);
  if (raw === undefined) return fallback;
  if (!/^\d{1,6}$/.test(raw)) throw conduitErrors.invalid(name, 'must be a whole number from 0 to 999999');
  return Number(raw);
}

function text(req: Request, name: string): string | undefined {
  const value = req.query[name];
  if (value === undefined || typeof value === 'string') return value;
  throw conduitErrors.invalid(name, 'must be given once');
}
