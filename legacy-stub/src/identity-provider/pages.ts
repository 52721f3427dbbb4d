/** The identity provider's few pages: plain HTML, no scripts or fonts from elsewhere. */

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · Organisation sign-in (dev)</title>
<style>
body{font-family:system-ui,sans-serif;max-width:26rem;margin:3rem auto;padding:0 1rem;color:#1d2733}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;padding:.4rem;box-sizing:border-box}
button{margin-top:1rem;padding:.5rem 1rem}.error{color:#a1151b}.note{color:#555;font-size:.9rem}
</style>
</head>
<body>
<p class="note">Organisation identity provider: development stand-in.</p>
${body}
</body>
</html>`;
}

export function loginPage(opts: { action: string; abortAction: string; clientName: string; username?: string; error?: string }): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return page(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to ${escapeHtml(opts.clientName)}</p>
${error}
<form method="post" action="${escapeHtml(opts.action)}">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus value="${escapeHtml(opts.username ?? '')}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button>
</form>
<form id="abort" method="post" action="${escapeHtml(opts.abortAction)}">
<button type="submit">Cancel</button>
</form>`,
  );
}

/** oidc-provider hands over its own hidden form (with its xsrf token); we only add the buttons. */
export function logoutPage(form: string): string {
  return page(
    'Sign out',
    `<h1>Sign out of the organisation?</h1>
${form}
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Yes, sign me out</button>
<button type="submit" form="op.logoutForm">No, stay signed in</button>`,
  );
}

export function signedOutPage(): string {
  return page('Signed out', '<h1>You are signed out</h1><p>You can close this window.</p>');
}

export function errorPage(out: Record<string, unknown>): string {
  const items = Object.entries(out)
    .map(([key, value]) => `<li><strong>${escapeHtml(key)}</strong>: ${escapeHtml(value)}</li>`)
    .join('');
  return page('Sign-in problem', `<h1>Something went wrong</h1><ul>${items}</ul>`);
}
