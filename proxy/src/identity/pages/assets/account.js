import {
  callApi,
  creationOptions,
  legacyToken,
  messageFor,
  passkeysSupported,
  problemIs,
  registrationJSON,
  showError,
  showStatus,
  whileBusy,
} from './passkeys.js';

const signedIn = document.getElementById('signed-in');
const signedOut = document.getElementById('signed-out');
// Absent when passkeys are off here (the page then shows who you are and signs you out).
const list = document.getElementById('passkey-list');
const noPasskeys = document.getElementById('no-passkeys');
const addForm = document.getElementById('add-form');
const addButton = addForm?.querySelector('[data-testid="passkey-register"]');
const sessionSection = document.getElementById('session-section');
// Present only when organisation sign-in (OIDC) is on.
const linkSection = document.getElementById('link-section');
const recoverySection = document.getElementById('recovery-section');
const signOutOthersSection = document.getElementById('sign-out-others-section');
const signOutOthersForm = document.getElementById('sign-out-others-form');
const signOutOthersButton = signOutOthersForm?.querySelector('[data-testid="sign-out-others"]');
// Where the organisation sign-in flows send the user back to.
const arrival = new URLSearchParams(window.location.search);
const signOutButton = sessionSection.querySelector('[data-testid="sign-out"]');
const signOutEverywhereButton = sessionSection.querySelector('[data-testid="sign-out-everywhere"]');

// A session cookie, when there is one, wins on the server; the legacy token covers users of the
// existing app who have no session yet.
const call = (method, path, body) => callApi(method, path, body, { legacyToken: legacyToken() });
const dateFormat = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });

async function start() {
  let me;
  try {
    me = await call('GET', '/me');
  } catch (err) {
    // The server dropped an ended session's cookie: the legacy token (if any) can now speak.
    if (problemIs(err, 'session-ended') && legacyToken()) me = await call('GET', '/me').catch(() => null);
    if (!me) return showSignedOut(err.message);
  }
  signedOut.hidden = true;
  signedIn.hidden = false;
  sessionSection.hidden = me.via !== 'session';
  // Linking needs the session cookie: a plain form POST cannot carry the legacy token.
  if (linkSection) linkSection.hidden = me.via !== 'session';
  const recovering = me.authMethod === 'oidc' && arrival.get('recovered') === '1';
  if (recoverySection) recoverySection.hidden = !(recovering && !arrival.has('revoked'));
  // Still offered once the passkeys are gone: the lost device may hold an organisation session too.
  if (signOutOthersSection) signOutOthersSection.hidden = !recovering;
  const who = me.username ?? me.userId;
  showStatus(arrivalMessage() ?? (me.via === 'session' ? `Signed in as ${who}.` : `Signed in as ${who} through the existing app.`));
  await refreshList();
}

function arrivalMessage() {
  if (arrival.has('revoked')) {
    const n = Number(arrival.get('revoked')) || 0;
    const removed = n === 1 ? '1 passkey was' : `${n} passkeys were`;
    return `${removed} removed, and the sessions they signed in were ended. Add a passkey for this device now.`;
  }
  if (arrival.get('recovered') === '1') {
    return 'You signed in with your organisation. If a device is lost, remove your old passkeys and sign out every other session below.';
  }
  if (arrival.get('linked') === '1') return 'Your organisation account is linked. You can now sign in with it when no passkey is at hand.';
  return undefined;
}

function showSignedOut(message) {
  signedIn.hidden = true;
  signedOut.hidden = false;
  showStatus(message);
}

async function refreshList() {
  if (!list) return;
  const items = await call('GET', '/passkeys');
  list.replaceChildren(...items.map(renderItem));
  noPasskeys.hidden = items.length > 0;
}

/** One passkey, built with DOM calls (names are user input: never innerHTML). */
function renderItem(item) {
  const li = el('li', { 'data-testid': 'passkey-item', 'data-id': item.id });
  const heading = el('h3', {}, item.name);
  const inputId = `name-${item.id}`;
  const form = el('form', { class: 'row', novalidate: '' });
  const input = el('input', { id: inputId, type: 'text', maxlength: '64', value: item.name, autocomplete: 'off' });
  const rename = el('button', { type: 'submit', class: 'secondary', 'data-testid': 'passkey-rename' }, 'Rename');
  form.append(el('label', { for: inputId }, `New name for “${item.name}”`), input, rename);
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileBusy(rename, () => renamePasskey(item, input.value));
  });
  const used = item.lastUsedAt ? `last used ${dateFormat.format(new Date(item.lastUsedAt))}` : 'not used to sign in yet';
  const meta = el('p', { class: 'meta' }, `Added ${dateFormat.format(new Date(item.createdAt))}, ${used}.`);
  if (item.current) meta.append(' You signed in with this passkey.');
  const remove = el('button', { type: 'button', class: 'danger', 'data-testid': 'passkey-delete' }, `Delete “${item.name}”`);
  remove.addEventListener('click', () => void whileBusy(remove, () => deletePasskey(item)));
  li.append(heading, meta, form, remove);
  return li;
}

function el(tag, attrs, text) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

async function addPasskey() {
  if (!passkeysSupported()) return showError(messageFor({ name: 'NotSupportedError' }, 'register'));
  try {
    showStatus('Starting…');
    const options = await call('POST', '/passkeys/register/options');
    showStatus('Follow your browser’s prompt to create the passkey.');
    const credential = await navigator.credentials.create({ publicKey: creationOptions(options) });
    showStatus('Saving your passkey…');
    const name = addForm.elements.name.value.trim();
    const saved = await call('POST', '/passkeys/register/verify', { response: registrationJSON(credential), ...(name ? { name } : {}) });
    addForm.reset();
    await refreshList();
    showStatus(`Passkey “${saved.name}” added. You can now use it to sign in.`);
  } catch (err) {
    showError(messageFor(err, 'register'));
  }
}

async function renamePasskey(item, name) {
  try {
    const renamed = await call('PATCH', `/passkeys/${encodeURIComponent(item.id)}`, { name });
    await refreshList();
    showStatus(`Renamed to “${renamed.name}”.`);
  } catch (err) {
    showError(messageFor(err, 'manage'));
  }
}

async function deletePasskey(item) {
  const warning = item.current ? ' You signed in with it, so you will be signed out.' : '';
  if (!window.confirm(`Delete the passkey “${item.name}”? You will no longer be able to sign in with it.${warning}`)) return;
  try {
    const result = await call('DELETE', `/passkeys/${encodeURIComponent(item.id)}`);
    if (result.signedOut) return showSignedOut(`Passkey “${item.name}” deleted. You signed in with it, so you have been signed out.`);
    await refreshList();
    showStatus(`Passkey “${item.name}” deleted.`);
  } catch (err) {
    showError(messageFor(err, 'manage'));
  }
}

async function signOut() {
  try {
    await callApi('POST', '/sign-out');
    showSignedOut('You are signed out.');
  } catch (err) {
    showError(messageFor(err, 'manage'));
  }
}

async function signOutEverywhere() {
  try {
    const { endedSessions } = await callApi('POST', '/sign-out-everywhere');
    showSignedOut(`You are signed out everywhere (${endedSessions} ${endedSessions === 1 ? 'session' : 'sessions'} ended).`);
  } catch (err) {
    showError(messageFor(err, 'manage'));
  }
}

/** Ends the lost device's sessions and keeps this one (allowed just after an organisation sign-in). */
async function signOutOthers() {
  try {
    const { endedSessions } = await callApi('POST', '/sign-out-everywhere', { keepThisSession: true });
    signOutOthersSection.hidden = true;
    const ended =
      endedSessions === 0 ? 'You had no other sessions' : `${endedSessions} other ${endedSessions === 1 ? 'session was' : 'sessions were'} ended`;
    showStatus(`${ended}. You are still signed in here.`);
  } catch (err) {
    showError(messageFor(err, 'manage'));
  }
}

addForm?.addEventListener('submit', (event) => {
  event.preventDefault();
  void whileBusy(addButton, addPasskey);
});
signOutOthersForm?.addEventListener('submit', (event) => {
  event.preventDefault();
  void whileBusy(signOutOthersButton, signOutOthers);
});
signOutButton.addEventListener('click', () => void whileBusy(signOutButton, signOut));
signOutEverywhereButton.addEventListener('click', () => void whileBusy(signOutEverywhereButton, signOutEverywhere));
start().catch((err) => showError(messageFor(err, 'manage')));
