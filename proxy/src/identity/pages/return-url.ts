/**
 * Where to send the user after sign-in: only a path on this site. Anything else becomes '/',
 * so a link like `/sign-in?returnUrl=https://evil.example` cannot bounce a fresh session to
 * a look-alike page.
 */
export function safeReturnUrl(input: unknown): string {
  if (typeof input !== 'string' || input.length === 0 || input.length > 2048) return '/';
  if (input[0] !== '/') return '/'; // absolute URLs, `javascript:`, relative paths
  if (input[1] === '/' || input[1] === '\\') return '/'; // `//host` and `/\host` are other sites
  // Browsers drop tabs and newlines from URLs (`/\t/evil` becomes `//evil`) and read `\` as `/`.
  if (/[\u0000-\u001f\u007f\\]/.test(input)) return '/';
  // Belt and braces: whatever a URL parser makes of it must stay on our origin.
  const base = 'http://return-url.invalid';
  try {
    return new URL(input, base).origin === base ? input : '/';
  } catch {
    return '/';
  }
}
