/**
 * What a URL must not carry into a log line. A short list of parameter names always misses
 * one (`jwt`, `api-key`, `sessionid`, `X-Amz-Signature`...), so the rule is broad: a name
 * that, lower-cased, percent-decoded and stripped of separators, CONTAINS one of these stems.
 * The price is a few harmless names redacted too (`keyword`, `monkey`, `author`, `zipcode`,
 * `statement`, `hashtag`): the log loses a detail, never a secret.
 */
const SECRET_STEM =
  /token|secret|passw|passphrase|passcode|pwd|auth|session|sessid|jwt|key|code|assertion|signature|credential|otp|nonce|state|challenge|cookie|bearer|ticket|saml|hash|hmac|salt|private|csrf|xsrf|verifier/;

/**
 * Stems too short to search for inside other words (`sig` is in `assignment`, `sess` in
 * `assessment`, `sid` in `side`): secret only as a whole word of the name.
 */
const SECRET_WORDS: ReadonlySet<string> = new Set(['sig', 'sid', 'sess', 'pass', 'pw', 'pin', 'cred', 'creds', 'mac']);

/** A JWT (JWS, or JWE with five parts): base64url parts, the first a JSON header. Secret whatever its name or place. */
const JWT = /eyJ[\w-]{8,}\.[\w-]*\.[\w-]*(?:\.[\w-]*\.[\w-]*)?/g;
const USER_INFO = /^([a-z][a-z0-9+.-]*:\/\/)[^/?#]*@/i;
const PATH_PARAM = /;([^;/=]+)=([^;/]*)/g;

const REDACTED = '[REDACTED]';

/**
 * Every request's log line asks about the same few names: the answers are remembered, up to
 * a bound, so names a client makes up cannot grow it.
 */
const known = new Map<string, boolean>();
const KNOWN_NAMES = 1_000;

/** Is a query (or `;path`) parameter with this name a secret? */
export function isSecretName(name: string): boolean {
  let secret = known.get(name);
  if (secret === undefined) {
    secret = judgeName(name);
    if (known.size < KNOWN_NAMES) known.set(name, secret);
  }
  return secret;
}

function judgeName(name: string): boolean {
  const decoded = name.includes('%') || name.includes('+') ? decodeSafe(name.replace(/\+/g, ' ')) : name;
  // Words: split at separators and at lower-to-upper case changes (`userSig`, `SAMLRequest` stays one).
  const words = decoded.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase().split(/[^a-z0-9]+/).filter(Boolean);
  return SECRET_STEM.test(words.join('')) || words.some((w) => SECRET_WORDS.has(w));
}

/**
 * The URL for a log line: values of secret query parameters and `;path` parameters
 * (`;jsessionid=`) replaced, JWTs anywhere (`/reset/eyJ...`) replaced, and the user
 * information of an absolute URL (`https://user:pass@host`) replaced. The rest stays as sent.
 */
export function redactUrl(url: string): string {
  let out = url.includes('eyJ') ? url.replace(JWT, REDACTED) : url;
  if (out.charCodeAt(0) !== 47 /* / */) out = out.replace(USER_INFO, `$1${REDACTED}@`);
  const q = out.indexOf('?');
  let path = q === -1 ? out : out.slice(0, q);
  if (path.includes(';')) path = path.replace(PATH_PARAM, (pair, name: string) => (isSecretName(name) ? `;${name}=${REDACTED}` : pair));
  return q === -1 ? path : `${path}?${redactQuery(out.slice(q + 1))}`;
}

/** The query with the values of secret parameters (separated by `&`, or `;` as some servers do) replaced. */
function redactQuery(query: string): string {
  let out = '';
  let start = 0;
  for (let i = 0; i <= query.length; i++) {
    const c = query.charCodeAt(i);
    if (i < query.length && c !== 38 /* & */ && c !== 59 /* ; */) continue;
    const pair = query.slice(start, i);
    const eq = pair.indexOf('=');
    out += eq > 0 && isSecretName(pair.slice(0, eq)) ? `${pair.slice(0, eq + 1)}${REDACTED}` : pair;
    if (i < query.length) out += query[i];
    start = i + 1;
  }
  return out;
}

function decodeSafe(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}
