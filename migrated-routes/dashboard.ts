import { defineRoute } from '../proxy/src/routing/route.ts';
import { ProblemError, problems } from '../proxy/src/edge/problem.ts';

/**
 * The dashboard, composed from four legacy endpoints instead of the old server-rendered
 * /api/home: profile and unread count in parallel, then the organisation's courses, then
 * the next sessions of up to 10 of them. Only the profile is essential.
 */

interface Profile { firstName: string; lastName: string; organisationId: string; roleCode: 'TEACHER' | 'STUDENT' | 'ADMIN'; avatarPath?: string }
interface Course {
  id: string;
  metadata: { title: string; code: string };
  enrollment: { capacity: number; enrolled: number };
  status: { code: 'ACTIVE' | 'DRAFT' | 'ARCHIVED' };
}
interface Session { id: string; courseId: string; title: string; startsAt: string; room: string | null }

const ROLE: Record<Profile['roleCode'], string> = { TEACHER: 'Teacher', STUDENT: 'Student', ADMIN: 'Administrator' };
const STATUS: Record<Course['status']['code'], string> = { ACTIVE: 'Active', DRAFT: 'Draft', ARCHIVED: 'Archived' };
const SESSION_COURSES = 10;
const SESSIONS = 3;

export default defineRoute({
  id: 'dashboard',
  method: 'GET',
  path: '/api/dashboard',
  replaces: 'GET /api/home',
  flag: 'route.dashboard',
  owner: 'Course team',
  targetDate: '2027-01-15',
  notes: 'Replaces the server-rendered home screen. Legacy adds generatedAt on every call: learned as noise.',
  shadow: { unordered: [] },
  upstream: {
    'users.profile': { attemptTimeoutMs: 1_500, deadlineMs: 3_000 },
    'notifications.unread': { attemptTimeoutMs: 800, deadlineMs: 1_500, retries: 1 },
    'courses.list': { cacheTtlMs: 60_000 },
    'sessions.upcoming': { attemptTimeoutMs: 1_500, deadlineMs: 3_000, cacheTtlMs: 30_000 },
  },
  async handle({ caller, legacy }) {
    const uid = encodeURIComponent(caller.userId);
    const [profileResult, unread] = await Promise.allSettled([
      legacy.get<Profile>(`/api/users/${uid}/profile`, { endpoint: 'users.profile', cache: { scope: 'user', ttlMs: 60_000 } }),
      // Fetched on every request, as the old home screen counted it: the route's one round trip of
      // its own, and most of what it costs beyond passing /api/home through. Cached per user for
      // a few seconds it would cost less than that (docs/performance.md, Step 5), with a badge
      // that lags by as much: the Course team's call.
      legacy.get<{ count: number }>(`/api/notifications/unread?userId=${uid}`, { endpoint: 'notifications.unread' }),
    ]);
    if (profileResult.status === 'rejected') {
      throw new ProblemError(problems.serviceUnavailable('Your profile could not be loaded, so the dashboard cannot be shown. Try again shortly.'));
    }
    const profile = profileResult.value;
    const partialFailures: string[] = [];

    let courses: Course[] = [];
    let sessions: Session[] = [];
    try {
      courses = await legacy.get<Course[]>(`/api/courses?orgId=${encodeURIComponent(profile.organisationId)}`, {
        endpoint: 'courses.list',
        cache: { scope: 'shared' },
      });
    } catch {
      partialFailures.push('courses');
    }
    // Sessions hang off courses: with no course list there is nothing to ask for.
    const courseIds = courses.slice(0, SESSION_COURSES).map((c) => c.id);
    if (!partialFailures.includes('courses') && courseIds.length > 0) {
      try {
        sessions = await legacy.get<Session[]>(`/api/sessions?courseIds=${courseIds.map(encodeURIComponent).join(',')}&limit=${SESSIONS}`, {
          endpoint: 'sessions.upcoming',
          cache: { scope: 'shared' },
        });
      } catch {
        partialFailures.push('sessions');
      }
    }
    if (unread.status === 'rejected') partialFailures.push('notifications');

    const titles = new Map(courses.map((c) => [c.id, c.metadata.title]));
    return {
      body: {
        user: {
          displayName: `${profile.firstName} ${profile.lastName}`,
          role: ROLE[profile.roleCode] ?? profile.roleCode,
          avatarUrl: profile.avatarPath ? `/media/avatars/${profile.avatarPath}` : null,
        },
        courses: courses.map((c) => ({
          id: c.id,
          title: c.metadata.title,
          code: c.metadata.code,
          enrollmentLabel: `${c.enrollment.enrolled} / ${c.enrollment.capacity}`,
          enrollmentPercent: c.enrollment.capacity === 0 ? 0 : Math.round((c.enrollment.enrolled * 100) / c.enrollment.capacity),
          status: STATUS[c.status.code] ?? c.status.code,
        })),
        upcomingSessions: sessions.slice(0, SESSIONS).map((s) => ({
          id: s.id,
          title: s.title,
          startsAt: s.startsAt,
          courseTitle: titles.get(s.courseId) ?? '',
          locationLabel: s.room ? `Room ${s.room}` : 'Online',
        })),
        notifications: { count: unread.status === 'fulfilled' ? unread.value.count : 0 },
        partialFailures,
      },
    };
  },
});
