import {
  authenticationJSON,
  callApi,
  messageFor,
  passkeysSupported,
  problemIs,
  requestOptions,
  showError,
  showStatus,
  whileBusy,
} from './passkeys.js';

// Absent when passkeys are off here: the page then offers organisation sign-in only.
const form = document.getElementById('passkey-form');
const returnUrl = document.body.dataset.returnUrl || '/';

if (form) {
  const button = form.querySelector('[data-testid="passkey-sign-in"]');
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void whileBusy(button, signIn);
  });
}

async function signIn() {
  if (!passkeysSupported()) {
    showError(messageFor({ name: 'NotSupportedError' }, 'sign-in'));
    return;
  }
  const username = form.elements.username.value.trim();
  let options;
  let credentialId;
  try {
    showStatus('Starting…');
    options = await callApi('POST', '/passkeys/authenticate/options', username ? { username } : {});
    showStatus('Follow your browser’s prompt to use your passkey.');
    const credential = await navigator.credentials.get({ publicKey: requestOptions(options) });
    credentialId = credential.id;
    showStatus('Checking your passkey…');
    const result = await callApi('POST', '/passkeys/authenticate/verify', { response: authenticationJSON(credential), returnUrl });
    showStatus('You are signed in. Taking you back…');
    // The server answers with a sanitised same-site path.
    window.location.assign(result.returnUrl);
  } catch (err) {
    if (problemIs(err, 'unknown-credential') && options?.rpId && credentialId) forgetPasskey(options.rpId, credentialId);
    showError(messageFor(err, 'sign-in'));
  }
}

/** Tells the device that this passkey is gone here, so it stops offering it (where supported). */
function forgetPasskey(rpId, credentialId) {
  if (typeof PublicKeyCredential.signalUnknownCredential !== 'function') return;
  PublicKeyCredential.signalUnknownCredential({ rpId, credentialId }).catch(() => {});
}
