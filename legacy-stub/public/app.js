// The platform's existing frontend: plain JS, no build. It keeps the legacy JWT in
// localStorage and calls the API with same-origin paths only, so it works unchanged
// when a proxy on another origin serves it.
'use strict';

const TOKEN_KEY = 'legacyToken';
const ROLE_LABELS = { TEACHER: 'Teacher', STUDENT: 'Student', ADMIN: 'Administrator' };

const $ = (id) => document.getElementById(id);

function api(path, init = {}) {
  const token = localStorage.getItem(TOKEN_KEY);
  const headers = { Accept: 'application/json', ...(init.headers || {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(path, { ...init, headers });
}

function announce(text) {
  $('page-status').textContent = text;
}

function showSignIn(errorText = '') {
  $('profile').hidden = true;
  $('dashboard').hidden = true;
  $('signin').hidden = false;
  $('login-error').textContent = errorText;
}

// Always ask: without a token the legacy API says 401, but behind the proxy a
// session cookie may already identify the caller.
async function showWhoIsSignedIn() {
  let res;
  try {
    res = await api('/api/users/profile');
  } catch {
    showSignIn('The platform could not be reached. Try again later.');
    return;
  }
  if (res.status === 401) {
    localStorage.removeItem(TOKEN_KEY);
    showSignIn();
    return;
  }
  if (!res.ok) {
    showSignIn(`Your profile could not be loaded (status ${res.status}).`);
    return;
  }
  await showProfile(await res.json());
  await loadDashboard();
}

async function showProfile(profile) {
  $('signin').hidden = true;
  $('profile-name').textContent = `${profile.firstName} ${profile.lastName}`;
  $('profile-role').textContent = ROLE_LABELS[profile.roleCode] || profile.roleCode;
  $('profile-organisation').textContent = await organisationName(profile.organisationId);
  $('profile').hidden = false;
  announce(`Signed in as ${profile.firstName} ${profile.lastName}.`);
}

async function organisationName(id) {
  try {
    const res = await api(`/api/organisations/${encodeURIComponent(id)}`);
    if (res.ok) return (await res.json()).name;
  } catch {
    // fall through: the id is better than nothing
  }
  return id;
}

async function loadDashboard() {
  const panel = $('dashboard');
  panel.hidden = false;
  panel.setAttribute('aria-busy', 'true');
  $('dashboard-error').hidden = true;
  $('dashboard-content').hidden = true;
  let data = null;
  try {
    const res = await api('/api/dashboard');
    if (res.status === 200) data = await res.json();
  } catch {
    data = null;
  }
  panel.removeAttribute('aria-busy');
  if (!data) {
    $('dashboard-error').hidden = false;
    return;
  }
  renderDashboard(data);
}

function renderDashboard(data) {
  $('dashboard-welcome').textContent = `Welcome, ${data.user.displayName} (${data.user.role}).`;

  const courses = $('dashboard-courses');
  courses.replaceChildren(
    ...data.courses.map((course) => {
      const li = document.createElement('li');
      li.dataset.testid = 'dashboard-course';
      const title = document.createElement('strong');
      title.textContent = `${course.title} (${course.code})`;
      const detail = document.createElement('span');
      detail.textContent = ` ${course.enrollmentLabel} enrolled · ${course.status}`;
      li.append(title, detail);
      return li;
    }),
  );
  if (data.courses.length === 0) courses.append(emptyItem('No courses yet.'));

  const sessions = $('dashboard-sessions');
  sessions.replaceChildren(
    ...data.upcomingSessions.map((session) => {
      const li = document.createElement('li');
      li.dataset.testid = 'dashboard-session';
      const when = document.createElement('time');
      when.dateTime = session.startsAt;
      when.textContent = new Date(session.startsAt).toLocaleString();
      li.append(`${session.title}, ${session.courseTitle}: `, when, ` · ${session.locationLabel}`);
      return li;
    }),
  );
  if (data.upcomingSessions.length === 0) sessions.append(emptyItem('No upcoming sessions.'));

  $('dashboard-notifications').textContent = String(data.notifications.count);
  const partial = data.partialFailures || [];
  $('dashboard-partial').hidden = partial.length === 0;
  $('dashboard-partial').textContent = partial.length ? `Some parts could not be loaded: ${partial.join(', ')}.` : '';
  $('dashboard-content').hidden = false;
}

function emptyItem(text) {
  const li = document.createElement('li');
  li.className = 'empty';
  li.textContent = text;
  return li;
}

async function signIn(event) {
  event.preventDefault();
  const username = $('username').value.trim();
  const password = $('password').value;
  const submit = $('login-submit');
  $('login-error').textContent = '';
  if (!username || !password) {
    $('login-error').textContent = 'Enter your username and password.';
    return;
  }
  submit.disabled = true;
  try {
    const res = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
      body: JSON.stringify({ username, password }),
    });
    if (!res.ok) {
      const body = await res.json().catch(() => null);
      $('login-error').textContent =
        res.status === 401
          ? 'Wrong username or password.'
          : (body && (body.message || body.detail)) || `Sign-in failed (status ${res.status}).`;
      return;
    }
    const { token } = await res.json();
    localStorage.setItem(TOKEN_KEY, token);
    $('password').value = '';
    await showWhoIsSignedIn();
  } catch {
    $('login-error').textContent = 'The platform could not be reached. Try again later.';
  } finally {
    submit.disabled = false;
  }
}

function signOut() {
  localStorage.removeItem(TOKEN_KEY);
  $('dashboard-courses').replaceChildren();
  $('dashboard-sessions').replaceChildren();
  showSignIn();
  announce('Signed out.');
  $('username').focus();
}

$('login-form').addEventListener('submit', signIn);
$('sign-out').addEventListener('click', signOut);
showWhoIsSignedIn();
