/**
 * The Conduit stand-in's world: a few users, articles whose slugs look like the ones a
 * real blog grows (plain words, words plus a random hex suffix, an all-digit suffix, a
 * leading year, a leading username), comments, favourites and follows. Dev-only data:
 * every user's password is SEED_PASSWORD. Each running stand-in gets its own copy.
 */
export { SEED_PASSWORD } from '../seed.ts';

export interface ConduitUser {
  /** Mongo-style ObjectId, as the reference implementation's JWT `id` claim carries it. */
  id: string;
  username: string;
  email: string;
  bio: string | null;
  image: string | null;
}

export interface ConduitArticle {
  slug: string;
  title: string;
  description: string;
  body: string;
  tagList: string[];
  createdAt: string;
  updatedAt: string;
  /** The author's username. */
  author: string;
}

export interface ConduitComment {
  id: number;
  slug: string;
  body: string;
  author: string;
  createdAt: string;
  updatedAt: string;
}

export interface ConduitWorld {
  users: readonly ConduitUser[];
  /** Newest first, as the list endpoint answers. */
  articles: readonly ConduitArticle[];
  comments: readonly ConduitComment[];
  /** slug -> usernames who favourited it. */
  favorites: Map<string, Set<string>>;
  /** username -> usernames they follow. */
  follows: Map<string, Set<string>>;
}

const users: readonly ConduitUser[] = [
  { id: '5f3e2a1b9c8d7e6f5a4b3c21', username: 'jake', email: 'jake@jake.jake', bio: 'I work at statefarm', image: 'https://api.realworld.io/images/smiley-cyrus.jpeg' },
  { id: '5f3e2a1b9c8d7e6f5a4b3c22', username: 'ingrid', email: 'ingrid@conduit.example', bio: 'Teacher; writes about teaching and tooling.', image: 'https://api.realworld.io/images/demo-avatar.png' },
  { id: '5f3e2a1b9c8d7e6f5a4b3c23', username: 'ola', email: 'ola@conduit.example', bio: null, image: null },
];

const articles: readonly Omit<ConduitArticle, 'updatedAt'>[] = [
  article('2024-01-04T09:12:00.000Z', 'jake', 'how-to-train-your-dragon', 'How to train your dragon', 'Ever wonder how?', ['dragons', 'training']),
  article('2024-01-05T14:30:00.000Z', 'jake', 'welcome-to-conduit-3f9a1c', 'Welcome to Conduit', 'A place to share your knowledge.', ['welcome', 'introduction']),
  article('2024-02-11T08:00:00.000Z', 'ingrid', 'notes-from-a-celebrity-author', 'Notes from a celebrity author', 'What a book tour teaches you about writing.', ['writing']),
  article('2024-03-02T17:45:00.000Z', 'ingrid', 'if-we-quantify-alone-we-become-blind-7b2e04', 'If we quantify alone, we become blind', 'Numbers are not the whole classroom.', ['teaching', 'data']),
  article('2024-03-20T10:05:00.000Z', 'jake', 'ten-tips-for-code-review', 'Ten tips for code review', 'Be kind, be quick, be specific.', ['code-review', 'training']),
  article('2024-04-14T06:30:00.000Z', 'ola', 'a-day-on-the-fjord-c41d9e', 'A day on the fjord', 'Kayaks, rain and coffee.', ['norway', 'travel']),
  article('2024-05-08T12:00:00.000Z', 'ingrid', 'why-we-moved-off-the-monolith', 'Why we moved off the monolith', 'Route by route, behind a proxy.', ['architecture', 'migration']),
  article('2024-06-01T19:20:00.000Z', 'ola', 'the-art-of-the-small-commit-0a8f5b', 'The art of the small commit', 'One change, one reason.', ['git']),
  article('2024-07-17T11:11:00.000Z', 'jake', 'rust-for-node-developers-204813', 'Rust for Node developers', 'Ownership, explained with callbacks.', ['rust', 'node']),
  article('2024-09-09T09:09:00.000Z', 'ola', 'ola-on-skiing-e93c27', 'Ola on skiing', 'Cross-country, before breakfast.', ['norway', 'skiing']),
  article('2024-12-30T16:00:00.000Z', 'ingrid', '2024-in-review', '2024 in review', 'A year of small migrations.', ['retrospective', 'migration']),
];

const comments: readonly ConduitComment[] = [
  comment(1, 'how-to-train-your-dragon', 'ingrid', 'It takes a Jacobian', '2024-01-04T12:00:00.000Z'),
  comment(2, 'how-to-train-your-dragon', 'ola', 'Mine still bites.', '2024-01-06T08:15:00.000Z'),
  comment(3, 'welcome-to-conduit-3f9a1c', 'ingrid', 'Glad to be here.', '2024-01-05T15:00:00.000Z'),
  comment(4, 'why-we-moved-off-the-monolith', 'jake', 'Which route went first?', '2024-05-08T13:40:00.000Z'),
];

export function createConduitWorld(): ConduitWorld {
  return {
    users,
    articles: articles
      .map((a) => ({ ...a, tagList: [...a.tagList], updatedAt: a.createdAt }))
      .sort((a, b) => (a.createdAt < b.createdAt ? 1 : -1)),
    comments,
    favorites: new Map([
      ['how-to-train-your-dragon', new Set(['ingrid', 'ola'])],
      ['welcome-to-conduit-3f9a1c', new Set(['ola'])],
      ['notes-from-a-celebrity-author', new Set(['jake'])],
    ]),
    follows: new Map([
      ['jake', new Set(['ingrid'])],
      ['ola', new Set(['jake'])],
    ]),
  };
}

function article(createdAt: string, author: string, slug: string, title: string, description: string, tagList: string[]) {
  return { slug, title, description, body: `${description}\n\n${title}: the long version.`, tagList, createdAt, author };
}

function comment(id: number, slug: string, author: string, body: string, createdAt: string): ConduitComment {
  return { id, slug, body, author, createdAt, updatedAt: createdAt };
}
