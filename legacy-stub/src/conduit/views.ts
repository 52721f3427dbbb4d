import type { ConduitArticle, ConduitComment, ConduitUser, ConduitWorld } from './seed.ts';

/** The JSON shapes of the RealWorld API spec, seen by `viewer` (undefined: anonymous). */

export function userView(user: ConduitUser, token: string) {
  return { user: { email: user.email, token, username: user.username, bio: user.bio, image: user.image } };
}

export function profileOf(world: ConduitWorld, username: string, viewer: ConduitUser | undefined) {
  const user = world.users.find((u) => u.username === username)!;
  const following = viewer ? (world.follows.get(viewer.username)?.has(username) ?? false) : false;
  return { username: user.username, bio: user.bio, image: user.image, following };
}

export function articleOf(world: ConduitWorld, article: ConduitArticle, viewer: ConduitUser | undefined) {
  const fans = world.favorites.get(article.slug);
  return {
    slug: article.slug,
    title: article.title,
    description: article.description,
    body: article.body,
    tagList: [...article.tagList],
    createdAt: article.createdAt,
    updatedAt: article.updatedAt,
    favorited: viewer ? (fans?.has(viewer.username) ?? false) : false,
    favoritesCount: fans?.size ?? 0,
    author: profileOf(world, article.author, viewer),
  };
}

export function commentOf(world: ConduitWorld, comment: ConduitComment, viewer: ConduitUser | undefined) {
  const { id, createdAt, updatedAt, body } = comment;
  return { id, createdAt, updatedAt, body, author: profileOf(world, comment.author, viewer) };
}
