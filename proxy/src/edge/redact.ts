/** Query parameters whose values are secrets (OAuth codes, tokens, WebAuthn challenges...). */
const SECRET_PARAM = /^(code|token|access_token|id_token|refresh_token|state|nonce|challenge|password|secret|api_?key|key|session|sig|signature)$/i;

/** Replaces the values of secret query parameters; the path and other parameters stay as sent. */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q === -1) return url;
  const parts = url.slice(q + 1).split('&');
  let changed = false;
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    if (eq !== -1 && SECRET_PARAM.test(name.includes('%') ? decodeSafe(name) : name)) {
      parts[i] = `${name}=[REDACTED]`;
      changed = true;
    }
  }
  return changed ? `${url.slice(0, q)}?${parts.join('&')}` : url;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
