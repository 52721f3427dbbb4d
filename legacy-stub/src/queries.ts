import type { Course, SeedUser, Session, World } from './seed.ts';

/** Read-side questions the endpoints and /api/home share, so both always agree. */

export function findUser(world: World, id: string): SeedUser | undefined {
  return world.users.find((u) => u.id === id);
}

export function findUserByUsername(world: World, username: string): SeedUser | undefined {
  return world.users.find((u) => u.username === username);
}

export function coursesOfOrg(world: World, organisationId: string): Course[] {
  return world.courses
    .filter((c) => c.organisationId === organisationId)
    .sort((a, b) => compare(a.id, b.id));
}

export function upcomingSessions(world: World, courseIds: readonly string[], limit: number): Session[] {
  const wanted = new Set(courseIds);
  return world.sessions
    .filter((s) => wanted.has(s.courseId))
    .sort((a, b) => compare(a.startsAt, b.startsAt) || compare(a.id, b.id))
    .slice(0, limit);
}

export function unreadCount(world: World, userId: string): number {
  return world.unread.get(userId) ?? 0;
}

/** Code-unit order, not locale order: the same answer on every machine. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
