import { preciseIsoNow } from './precise-time.ts';
import { coursesOfOrg, unreadCount, upcomingSessions } from './queries.ts';
import type { CourseStatusCode, RoleCode, SeedUser, World } from './seed.ts';

/**
 * GET /api/home: the old screen endpoint a migrated dashboard replaces. The
 * migrated route reproduces these rules from the other endpoints; keep them in step.
 */
export interface HomeScreen {
  user: { displayName: string; role: string; avatarUrl: string | null };
  courses: Array<{
    id: string;
    title: string;
    code: string;
    enrollmentLabel: string;
    enrollmentPercent: number;
    status: string;
  }>;
  upcomingSessions: Array<{ id: string; title: string; startsAt: string; courseTitle: string; locationLabel: string }>;
  notifications: { count: number };
  partialFailures: string[];
  /** The legacy wart: differs on every call, even two at once; noise for a shadow comparison. */
  generatedAt: string;
}

const roleLabels: Record<RoleCode, string> = { TEACHER: 'Teacher', STUDENT: 'Student', ADMIN: 'Administrator' };
const statusLabels: Record<CourseStatusCode, string> = { ACTIVE: 'Active', DRAFT: 'Draft', ARCHIVED: 'Archived' };

const SESSION_COURSE_LIMIT = 10;
const SESSION_LIMIT = 3;

export function buildHome(world: World, user: SeedUser, generatedAt = preciseIsoNow()): HomeScreen {
  const courses = coursesOfOrg(world, user.organisationId);
  const titles = new Map(courses.map((c) => [c.id, c.metadata.title]));
  const sessionCourseIds = courses.slice(0, SESSION_COURSE_LIMIT).map((c) => c.id);
  return {
    user: {
      displayName: `${user.firstName} ${user.lastName}`,
      role: roleLabels[user.roleCode],
      avatarUrl: user.avatarPath ? `/media/avatars/${user.avatarPath}` : null,
    },
    courses: courses.map(({ id, metadata, enrollment, status }) => ({
      id,
      title: metadata.title,
      code: metadata.code,
      enrollmentLabel: `${enrollment.enrolled} / ${enrollment.capacity}`,
      enrollmentPercent:
        enrollment.capacity === 0 ? 0 : Math.round((enrollment.enrolled * 100) / enrollment.capacity),
      status: statusLabels[status.code],
    })),
    upcomingSessions: upcomingSessions(world, sessionCourseIds, SESSION_LIMIT).map((s) => ({
      id: s.id,
      title: s.title,
      startsAt: s.startsAt,
      courseTitle: titles.get(s.courseId)!,
      locationLabel: s.room ? `Room ${s.room}` : 'Online',
    })),
    notifications: { count: unreadCount(world, user.id) },
    partialFailures: [],
    generatedAt,
  };
}
