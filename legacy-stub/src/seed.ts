/**
 * The legacy platform's seeded world. Dev-only data: every user's password is
 * SEED_PASSWORD. Session times are relative to the stub's start so they are
 * always upcoming, whatever day the stub runs.
 */

export const SEED_PASSWORD = 'password';

export type RoleCode = 'TEACHER' | 'STUDENT' | 'ADMIN';
export type CourseStatusCode = 'ACTIVE' | 'DRAFT' | 'ARCHIVED';
export type EnrollmentStatus = 'ENROLLED' | 'WAITLISTED';

export interface Organisation {
  id: string;
  name: string;
}

export interface SeedUser {
  id: string;
  username: string;
  firstName: string;
  lastName: string;
  organisationId: string;
  roleCode: RoleCode;
  avatarPath?: string;
  email: string;
}

export interface Course {
  id: string;
  organisationId: string;
  metadata: {
    title: string;
    code: string;
    curriculum: { framework: string; subject: string; level: { grade: number; label: string } };
  };
  enrollment: { capacity: number; enrolled: number; waitlist: number };
  status: { code: CourseStatusCode; since: string };
}

export interface Session {
  id: string;
  courseId: string;
  title: string;
  startsAt: string;
  durationMinutes: number;
  room: string | null;
  online: boolean;
}

export interface Enrollment {
  id: string;
  courseId: string;
  userId: string;
  status: EnrollmentStatus;
  createdAt: string;
}

export const organisations: readonly Organisation[] = [
  { id: 'org-uninett', name: 'Uninett' },
  { id: 'org-nordvik', name: 'Nordvik' },
  { id: 'org-fjord', name: 'Fjord' },
];

export const seedUsers: readonly SeedUser[] = [
  user('ingrid', 'Ingrid', 'Solberg', 'org-uninett', 'TEACHER', 'ingrid.png'),
  user('ola', 'Ola', 'Nordmann', 'org-uninett', 'STUDENT'),
  user('kari', 'Kari', 'Hansen', 'org-uninett', 'ADMIN'),
  user('lars', 'Lars', 'Berg', 'org-nordvik', 'TEACHER', 'lars.jpg'),
  user('emma', 'Emma', 'Johansen', 'org-nordvik', 'STUDENT'),
  // The user with no courses: her organisation joined the platform but has none yet.
  user('nina', 'Nina', 'Fjeld', 'org-fjord', 'STUDENT'),
];

function user(
  username: string,
  firstName: string,
  lastName: string,
  organisationId: string,
  roleCode: RoleCode,
  avatarPath?: string,
): SeedUser {
  const base = {
    id: `u-${username}`,
    username,
    firstName,
    lastName,
    organisationId,
    roleCode,
    email: `${username}@${organisationId.slice(4)}.example`,
  };
  // Absent, not undefined: the legacy profile omits the field entirely.
  return Object.freeze(avatarPath ? { ...base, avatarPath } : base);
}

/**
 * Edge cases on purpose: c-102 is full (enrolments go to the waitlist), c-103 is a
 * DRAFT with capacity 0 (percent 0, never NaN), c-105 rounds 2/3 to 67 and c-202
 * rounds 12.5 up to 13 (Math.round, not banker's rounding).
 */
function seedCourses(): Course[] {
  return [
    course('c-101', 'org-uninett', 'Mathematics — Year 9', 'MATH-9', 'Mathematics', 9, [30, 24, 2], 'ACTIVE', '2024-08-15'),
    course('c-102', 'org-uninett', 'Norwegian — Year 9', 'NOR-9', 'Norwegian', 9, [28, 28, 3], 'ACTIVE', '2024-08-15'),
    course('c-103', 'org-uninett', 'Programming — Year 10', 'PROG-10', 'Programming', 10, [0, 0, 0], 'DRAFT', '2025-01-06'),
    course('c-104', 'org-uninett', 'Physics — Year 10', 'PHYS-10', 'Physics', 10, [25, 19, 0], 'ARCHIVED', '2024-06-20'),
    course('c-105', 'org-uninett', 'Natural Science — Year 8', 'NAT-8', 'Natural Science', 8, [3, 2, 0], 'ACTIVE', '2024-08-19'),
    course('c-201', 'org-nordvik', 'English — Year 8', 'ENG-8', 'English', 8, [24, 20, 1], 'ACTIVE', '2024-08-19'),
    course('c-202', 'org-nordvik', 'History — Year 8', 'HIST-8', 'History', 8, [24, 3, 0], 'ACTIVE', '2024-08-19'),
  ];
}

function course(
  id: string,
  organisationId: string,
  title: string,
  code: string,
  subject: string,
  grade: number,
  [capacity, enrolled, waitlist]: [number, number, number],
  statusCode: CourseStatusCode,
  since: string,
): Course {
  return {
    id,
    organisationId,
    metadata: {
      title,
      code,
      curriculum: { framework: 'NOR-K20', subject, level: { grade, label: `Year ${grade}` } },
    },
    enrollment: { capacity, enrolled, waitlist },
    status: { code: statusCode, since: `${since}T00:00:00.000Z` },
  };
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Every start time is distinct, so "startsAt ascending" has exactly one answer. */
function seedSessions(startedAt: number): Session[] {
  const base = Math.floor(startedAt / 60_000) * 60_000;
  const at = (days: number, hours = 0) => new Date(base + days * DAY + hours * HOUR).toISOString();
  const rows: Array<[string, string, string, string, number, string | null]> = [
    ['s-1001', 'c-101', 'Integration review', at(1), 45, '204'],
    ['s-1002', 'c-102', 'Essay feedback', at(2), 60, '112'],
    ['s-1003', 'c-105', 'Photosynthesis, live', at(3), 45, null],
    ['s-1004', 'c-101', 'Fractions workshop', at(4), 90, null],
    ['s-1005', 'c-102', 'Poetry reading', at(5), 45, '112'],
    ['s-1006', 'c-103', 'Setting up the editor', at(6), 60, null],
    ['s-1007', 'c-101', 'Mock exam', at(7), 120, '204'],
    ['s-2001', 'c-201', 'Reading circle', at(1, 2), 45, '314'],
    ['s-2002', 'c-202', 'The Viking age', at(2, 3), 60, null],
    ['s-2003', 'c-201', 'Grammar drill', at(5, 1), 45, '120'],
  ];
  return rows.map(([id, courseId, title, startsAt, durationMinutes, room]) => ({
    id,
    courseId,
    title,
    startsAt,
    durationMinutes,
    room,
    online: room === null,
  }));
}

const unreadNotifications: Record<string, number> = {
  'u-ingrid': 3,
  'u-ola': 1,
  'u-kari': 0,
  'u-lars': 5,
  'u-emma': 2,
  'u-nina': 0,
};

function seedEnrollments(): Enrollment[] {
  return [
    { id: 'e-1', courseId: 'c-101', userId: 'u-ola', status: 'ENROLLED', createdAt: '2024-08-20T08:00:00.000Z' },
    { id: 'e-2', courseId: 'c-102', userId: 'u-ola', status: 'WAITLISTED', createdAt: '2024-08-21T09:30:00.000Z' },
    { id: 'e-3', courseId: 'c-201', userId: 'u-emma', status: 'ENROLLED', createdAt: '2024-08-22T10:15:00.000Z' },
  ];
}

/** The mutable state of one stub instance: enrolments change counts, tests must not leak into each other. */
export interface World {
  startedAt: number;
  organisations: readonly Organisation[];
  users: readonly SeedUser[];
  courses: Course[];
  sessions: Session[];
  enrollments: Enrollment[];
  unread: Map<string, number>;
}

export function createWorld(startedAt = Date.now()): World {
  return {
    startedAt,
    organisations,
    users: seedUsers,
    courses: seedCourses(),
    sessions: seedSessions(startedAt),
    enrollments: seedEnrollments(),
    unread: new Map(Object.entries(unreadNotifications)),
  };
}
