import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { z } from 'zod';
import { loadOpenApiPaths, type DocumentedPath } from './status/openapi-paths.ts';
import { DEFAULT_LEARN_THRESHOLD } from './status/path-template.ts';
import { CLAIM_PATH } from './identity/legacy-jwt/claim-path.ts';
import { legacyTokenSettings, type LegacyTokenSettings } from './identity/legacy-jwt/legacy-token-settings.ts';
import { pageCredential, PAGE_CREDENTIAL_FORMAT, PAGE_CREDENTIAL_FORMAT_MESSAGE, type PageCredential } from './identity/pages/page-credential.ts';
import { TRACING_VARIABLES, tracingConfig, type TracingConfig } from './tracing/tracing-config.ts';

/**
 * Environment -> typed, validated configuration. Every variable is listed in README.md;
 * a wrong value names the variable and what is wrong with it, and the process exits 1.
 */

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
const httpUrl = z.url({ protocol: /^https?$/ }).transform((u) => u.replace(/\/+$/, ''));
const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'])
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const schema = z.object({
  PORT: port.default(8080),
  HOST: z.string().min(1).default('127.0.0.1'),
  LEGACY_URL: httpUrl.default('http://127.0.0.1:4000'),
  PUBLIC_URL: httpUrl.optional(),
  RESERVED_PREFIX: z
    .string()
    .regex(/^\/[A-Za-z0-9._~-]+$/, 'must be one path segment starting with "/", e.g. /_proxy')
    .default('/_proxy'),
  LEGACY_TIMEOUT_MS: positiveMs.default(30_000),
  LEGACY_HEALTH_PATH: z
    .string()
    .regex(/^(none|\/[^\s#]*)$/, 'must be a path on the legacy API starting with "/" (e.g. /health), or none to judge reachability from live traffic')
    .default('/health'),
  LEGACY_MAX_SOCKETS: z.coerce.number().int().positive().default(256),
  LEGACY_MAX_SOCKETS_PER_CLIENT: z.coerce.number().int().positive().optional(),
  LEGACY_KEEPALIVE_MS: positiveMs.default(4_000),
  SHUTDOWN_GRACE_MS: positiveMs.default(10_000),
  DRAIN_DELAY_MS: z.coerce.number().int().min(0).max(300_000, 'must be at most 300000 (five minutes)').default(5_000),
  MAX_HEADER_BYTES: z.coerce
    .number()
    .int()
    .min(16 * 1024, 'must be at least 16384 (Node\'s own default)')
    .max(1024 * 1024, 'must be at most 1048576 (1 MiB)')
    .default(64 * 1024),
  // Slow clients (edge/body-pace.ts): Apache's mod_reqtimeout gives heads and bodies 20 s;
  // the rate floor and its grace are Kestrel's MinRequestBodyDataRate (240 B/s after 5 s).
  REQUEST_HEAD_TIMEOUT_MS: positiveMs.default(20_000),
  REQUEST_BODY_IDLE_MS: positiveMs.default(20_000),
  REQUEST_BODY_MIN_BYTES_PER_S: z.coerce.number().int().min(0).default(240),
  REQUEST_BODY_GRACE_MS: positiveMs.default(5_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_FORWARDED: z
    .string()
    .regex(/^(true|false|yes|no|[0-9])$/i, 'must be false, true (one trusted hop) or the number of trusted hops in front of the proxy (0-9)')
    .transform((v) => (/^(true|yes)$/i.test(v) ? 1 : /^(false|no)$/i.test(v) ? 0 : Number(v)))
    .default(0),
  MAX_HEADER_FIELDS: z.coerce.number().int().min(32, 'must be at least 32').max(2000, "must be at most 2000 (Node's own limit, and that of many servers behind it)").default(256),

  // Migrated routes and the flags that govern them
  MIGRATED_ROUTES_DIR: z.string().min(1).default(path.join(repoRoot(), 'migrated-routes')),
  ROUTE_CASE: z.enum(['insensitive', 'sensitive'], "must be insensitive (ASP.NET, most Java, Express's default) or sensitive, as the legacy API compares paths").default('insensitive'),
  FLAGS_FILE: z.string().min(1).default(path.join(repoRoot(), 'proxy', 'flags.json')),
  UNLEASH_URL: httpUrl.optional(),
  UNLEASH_TOKEN: z.string().min(1).optional(),
  UNLEASH_APP_NAME: z.string().min(1).default('strangler-proxy'),
  UNLEASH_REFRESH_MS: positiveMs.default(5_000),
  SHADOW_MAX_CONCURRENCY: z.coerce.number().int().min(0).default(20),
  SHADOW_MAX_BODY_BYTES: z.coerce.number().int().positive().default(1024 * 1024),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).optional(),
  STORE_TIMEOUT_MS: z.coerce.number().int().min(10, 'must be at least 10').max(30_000, 'must be at most 30000 (30 s)').default(1_000),
  IDEMPOTENCY_MAX_ANSWER_BYTES: z.coerce.number().int().min(1_024, 'must be at least 1024').max(16 * 1024 * 1024, 'must be at most 16777216 (16 MiB)').default(1024 * 1024),

  // Who is calling: legacy JWTs, and the proxy's own sessions
  // The legacy credential (identity/legacy-jwt/legacy-token-settings.ts checks how they fit together)
  LEGACY_TOKEN_SCHEMES: z.string().optional(),
  LEGACY_TOKEN_HEADER: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a header name, e.g. X-Auth-Token').optional(),
  LEGACY_TOKEN_COOKIE: z.string().regex(/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/, 'must be a cookie name, e.g. jwt').optional(),
  LEGACY_TOKEN_BROWSER_STORAGE: z.string().regex(PAGE_CREDENTIAL_FORMAT, PAGE_CREDENTIAL_FORMAT_MESSAGE).optional(),
  LEGACY_JWKS_URL: httpUrl.optional(),
  LEGACY_JWT_PUBLIC_KEY_FILE: z.string().min(1).optional(),
  LEGACY_JWT_SECRET: z.string().min(1).optional(),
  LEGACY_JWT_SECRET_FILE: z.string().min(1).optional(),
  LEGACY_JWT_SECRET_ENCODING: z.enum(['utf8', 'base64', 'base64url', 'hex'], 'must be utf8 (the secret as written), base64, base64url or hex').default('utf8'),
  LEGACY_JWT_ALGORITHMS: z.string().optional(),
  LEGACY_JWT_ISSUER: z.string().min(1).default('https://legacy.education.example'),
  LEGACY_JWT_AUDIENCE: z.string().min(1).default('education-platform'),
  LEGACY_JWT_REQUIRED_CLAIMS: z.string().min(1).default('exp'),
  LEGACY_JWT_CLOCK_SKEW_S: z.coerce.number().int().min(0).max(300).default(30),
  LEGACY_USER_ID_CLAIM: z.string().regex(CLAIM_PATH, 'must be a claim name or dotted path, e.g. sub, id or user.id').optional(),
  LEGACY_ROLES_CLAIM: z.string().regex(CLAIM_PATH, 'must be a claim name or dotted path, e.g. role or realm_access.roles').optional(),
  LEGACY_USERNAME_CLAIM: z.string().regex(CLAIM_PATH, 'must be a claim name or dotted path, e.g. name or user.username').optional(),
  LEGACY_INTROSPECTION_URL: z.string().min(1).optional(),
  LEGACY_INTROSPECTION_CACHE_S: z.coerce.number().int().min(0).max(3600, 'must be at most 3600 (an hour)').default(60),
  LEGACY_INTROSPECTION_TIMEOUT_MS: z.coerce.number().int().min(100, 'must be at least 100').max(30_000, 'must be at most 30000').default(3_000),
  SESSION_SECRET: z.string().min(32, 'must be at least 32 characters').optional(),
  COOKIE_SECURE: bool.optional(),
  LEGACY_LOGIN_ENDPOINT: z
    .string()
    .regex(/^(GET|POST|PUT|PATCH) \/[^\s?#]*$/, 'must be a method and a path, e.g. POST /api/auth/login')
    .optional(),
  AUTH_CUTOFF: z.iso.datetime({ offset: true, message: 'must be an ISO date-time with offset, e.g. 2027-03-01T00:00:00Z' }).optional(),
  MINT_PRIVATE_KEY: z.string().includes('PRIVATE KEY', { message: 'must be a PEM private key' }).optional(),
  MINT_KEY_ID: z.string().min(1).default('strangler-proxy-1'),
  MINT_TOKEN_LIFETIME_S: z.coerce.number().int().min(30).max(3600).default(300),
  ALLOWED_ORIGINS: z.string().optional(),

  // Passkeys and the identity provider
  RP_ID: z.string().regex(/^[a-z0-9.-]+$/i, 'must be a host name (never an IP address or a URL)').optional(),
  RP_NAME: z.string().min(1).default('Education platform'),
  AUTH_RATE_LIMIT_PER_MIN: z.coerce.number().int().positive().default(30),
  OIDC_ISSUER: httpUrl.optional(),
  OIDC_CLIENT_ID: z.string().min(1).default('strangler-proxy'),
  OIDC_CLIENT_SECRET: z.string().min(1).optional(),
  OIDC_LINK_CLAIM: z.string().min(1).default('legacy_user_id'),
  OIDC_ROLES_CLAIM: z.string().regex(/^[A-Za-z0-9_.:/-]{1,100}$/, 'must be a claim name, e.g. roles').default('roles'),

  // The migration status page and API, for staff
  STATUS_TOKEN: z
    .string()
    .min(32, 'must be at least 32 characters (e.g. `openssl rand -base64 32`)')
    .regex(/^[\x21-\x7e]+$/, 'must be printable ASCII without spaces (it travels in an Authorization header)')
    .optional(),
  STATUS_STAFF_ROLES: z.string().default('ADMIN,staff'),
  STATUS_STAFF_USERS: z.string().optional(),
  STATUS_FLUSH_MS: z.coerce.number().int().min(100, 'must be at least 100').max(60_000, 'must be at most 60000 (one minute)').default(5_000),
  LEGACY_OPENAPI_FILE: z.string().min(1).optional(),
  PATH_TEMPLATE_LEARN_THRESHOLD: z.coerce.number().int().min(2, 'must be at least 2').max(10_000, 'must be at most 10000').default(DEFAULT_LEARN_THRESHOLD),

  // Traces (OpenTelemetry, proxy/src/tracing/): the standard variables, read here and nowhere else
  ...TRACING_VARIABLES,
});

export type RawConfig = z.output<typeof schema>;

/** Never echoed in an error: the message goes to stderr and from there into log collectors. */
const SECRETS: ReadonlySet<string> = new Set(['STATUS_TOKEN', 'SESSION_SECRET', 'OIDC_CLIENT_SECRET', 'MINT_PRIVATE_KEY', 'UNLEASH_TOKEN', 'REDIS_URL', 'LEGACY_JWT_SECRET', 'OTEL_EXPORTER_OTLP_HEADERS']);

/** Every environment variable the proxy reads (README.md's table and docker-compose.yml are checked against it). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

export interface Config {
  port: number;
  host: string;
  legacyUrl: string;
  /** The origin the frontend uses to reach the proxy; when unset, taken from each request's Host. */
  publicUrl: string | undefined;
  reservedPrefix: string;
  legacyTimeoutMs: number;
  /** Where the legacy API's reachability is probed (relative to LEGACY_URL); null: judged from the catch-all's traffic. */
  legacyHealthPath: string | null;
  legacyMaxSockets: number;
  /** Each client's share of that pool: its requests in flight through the catch-all at once. */
  legacyMaxSocketsPerClient: number;
  /** Slow clients: how long a request head may take; how a request body must keep arriving. */
  requestPace: { headTimeoutMs: number; bodyIdleMs: number; bodyMinBytesPerSecond: number; bodyGraceMs: number };
  legacyKeepAliveMs: number;
  /** Largest request head the proxy takes, and largest legacy response head it reads. */
  maxHeaderBytes: number;
  shutdownGraceMs: number;
  /** On SIGTERM, how long readiness says 503 while the proxy keeps serving, before it stops accepting. */
  drainDelayMs: number;
  logLevel: RawConfig['LOG_LEVEL'];
  /** How many hops in front of the proxy (load balancers) are trusted to state X-Forwarded-* / Forwarded; 0: none. */
  trustedHops: number;
  /** Most header fields a request may have; more is a 431, never a truncation. */
  maxHeaderFields: number;
  migratedRoutesDir: string;
  /** Whether route paths and the reserved prefix match case-sensitively: as the legacy API compares paths. */
  routeCase: RawConfig['ROUTE_CASE'];
  flags: { mode: 'file'; file: string } | { mode: 'unleash'; url: string; token?: string; appName: string; refreshMs: number };
  shadow: { maxConcurrent: number; maxBodyBytes: number };
  redisUrl: string | undefined;
  /** The longest one store (Redis) call may take; then the request gets 503 with Retry-After. */
  storeTimeoutMs: number;
  /** Largest migrated answer kept for Idempotency-Key retries (routing/idempotency.ts). */
  idempotencyMaxAnswerBytes: number;
  /** The legacy API's credential: where it travels, how it is checked, how tokens are minted for session callers. */
  legacyToken: LegacyTokenSettings;
  /** Where the existing frontend keeps that token in the browser, for the proxy's account page to send it on. */
  legacyTokenInBrowser: PageCredential;
  /** Undefined: a random secret per process (development only; sessions do not survive a restart). */
  sessionSecret: string | undefined;
  /** Secure cookies everywhere but plain-http localhost development. */
  cookieSecure: boolean;
  /** End of the dual-auth window: after it, legacy JWTs are refused at the proxy. */
  authCutoff: string | undefined;
  /** The legacy API's own login, `POST /api/auth/login`: after the cutoff it answers a problem pointing at sign-in. */
  legacyLogin: { method: string; path: string } | undefined;
  mint: { privateKeyPem: string | undefined; kid: string; lifetimeSec: number };
  /** Origins allowed to send cookie-authenticated unsafe requests (CSRF); the public origin is always in. */
  allowedOrigins: string[];
  auth: {
    /** Where people reach the sign-in pages: PUBLIC_URL, else http://localhost:PORT. */
    publicOrigin: string;
    /** Undefined: passkeys are off (PUBLIC_URL is on an IP address, which WebAuthn refuses as an RP ID). */
    rpId: string | undefined;
    rpName: string;
    rateLimitPerMinute: number;
    oidc: { issuer: string; clientId: string; clientSecret: string; linkClaim: string; rolesClaim: string; allowInsecure: boolean } | undefined;
  };
  status: {
    /** `Authorization: Bearer <token>` opens the status API for scripts; undefined: no token access. */
    token: string | undefined;
    /** Session roles (legacy or the identity provider's) that make a person staff. */
    staffRoles: string[];
    /** Legacy user ids or usernames that are staff whatever their roles. */
    staffUsers: string[];
    /** How often each instance writes its traffic counters to the store. */
    flushMs: number;
    /** How unmigrated traffic groups into endpoints: the legacy API's documented paths, and when a position is learned. */
    pathTemplates: { documented: DocumentedPath[] | undefined; learnThreshold: number };
  };
  /** Undefined: tracing is off (OTEL_TRACES_EXPORTER=none, the default), and costs nothing. */
  tracing: TracingConfig | undefined;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  // Empty strings count as unset, so `FOO=` in a compose file falls back to the default.
  const present = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(present);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0] ?? '?');
        const shown = SECRETS.has(name) && env[name] ? '(hidden)' : JSON.stringify(env[name] ?? '');
        return `${name}=${shown}: ${issue.message}`;
      }),
    );
  }
  const c = parsed.data;
  const legacyCredential = legacyToken(c);
  return {
    port: c.PORT,
    host: c.HOST,
    legacyUrl: c.LEGACY_URL,
    publicUrl: c.PUBLIC_URL,
    reservedPrefix: c.RESERVED_PREFIX,
    legacyTimeoutMs: c.LEGACY_TIMEOUT_MS,
    legacyHealthPath: c.LEGACY_HEALTH_PATH === 'none' ? null : c.LEGACY_HEALTH_PATH,
    legacyMaxSockets: c.LEGACY_MAX_SOCKETS,
    legacyMaxSocketsPerClient: perClientShare(c),
    requestPace: {
      headTimeoutMs: c.REQUEST_HEAD_TIMEOUT_MS,
      bodyIdleMs: c.REQUEST_BODY_IDLE_MS,
      bodyMinBytesPerSecond: c.REQUEST_BODY_MIN_BYTES_PER_S,
      bodyGraceMs: c.REQUEST_BODY_GRACE_MS,
    },
    legacyKeepAliveMs: c.LEGACY_KEEPALIVE_MS,
    maxHeaderBytes: c.MAX_HEADER_BYTES,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    drainDelayMs: c.DRAIN_DELAY_MS,
    logLevel: c.LOG_LEVEL,
    trustedHops: c.TRUST_FORWARDED,
    maxHeaderFields: c.MAX_HEADER_FIELDS,
    migratedRoutesDir: path.resolve(c.MIGRATED_ROUTES_DIR),
    routeCase: c.ROUTE_CASE,
    flags: c.UNLEASH_URL
      ? { mode: 'unleash', url: c.UNLEASH_URL, token: c.UNLEASH_TOKEN, appName: c.UNLEASH_APP_NAME, refreshMs: c.UNLEASH_REFRESH_MS }
      : { mode: 'file', file: path.resolve(c.FLAGS_FILE) },
    shadow: { maxConcurrent: c.SHADOW_MAX_CONCURRENCY, maxBodyBytes: c.SHADOW_MAX_BODY_BYTES },
    redisUrl: c.REDIS_URL,
    storeTimeoutMs: c.STORE_TIMEOUT_MS,
    idempotencyMaxAnswerBytes: c.IDEMPOTENCY_MAX_ANSWER_BYTES,
    legacyToken: legacyCredential,
    legacyTokenInBrowser: legacyTokenInBrowser(c, legacyCredential),
    sessionSecret: c.SESSION_SECRET,
    cookieSecure: c.COOKIE_SECURE ?? !isLocalHttp(c.PUBLIC_URL),
    authCutoff: c.AUTH_CUTOFF,
    legacyLogin: c.LEGACY_LOGIN_ENDPOINT ? { method: c.LEGACY_LOGIN_ENDPOINT.split(' ')[0]!, path: c.LEGACY_LOGIN_ENDPOINT.split(' ')[1]! } : undefined,
    mint: { privateKeyPem: c.MINT_PRIVATE_KEY?.replace(/\\n/g, '\n'), kid: c.MINT_KEY_ID, lifetimeSec: c.MINT_TOKEN_LIFETIME_S },
    allowedOrigins: parseOrigins(c.ALLOWED_ORIGINS),
    auth: authConfig(c),
    status: {
      token: c.STATUS_TOKEN,
      staffRoles: parseList(c.STATUS_STAFF_ROLES),
      staffUsers: parseList(c.STATUS_STAFF_USERS),
      flushMs: c.STATUS_FLUSH_MS,
      pathTemplates: { documented: c.LEGACY_OPENAPI_FILE ? openApiPaths(c.LEGACY_OPENAPI_FILE) : undefined, learnThreshold: c.PATH_TEMPLATE_LEARN_THRESHOLD },
    },
    tracing: tracingConfig(c),
  };
}

function authConfig(c: RawConfig): Config['auth'] {
  const publicOrigin = c.PUBLIC_URL ? new URL(c.PUBLIC_URL).origin : `http://localhost:${c.PORT}`;
  if (c.RP_ID !== undefined && isIpAddress(c.RP_ID)) {
    throw new ConfigError([`RP_ID=${JSON.stringify(c.RP_ID)}: an IP address is not a valid WebAuthn RP ID; use a host name (localhost for development)`]);
  }
  // A public URL on an IP address is fine for everything but passkeys: they stay off (auth-routes.ts says so once).
  const host = new URL(publicOrigin).hostname;
  const rpId = c.RP_ID ?? (isIpAddress(host) ? undefined : host);
  let oidc: Config['auth']['oidc'];
  if (c.OIDC_ISSUER) {
    if (!c.OIDC_CLIENT_SECRET) throw new ConfigError(['OIDC_CLIENT_SECRET="": required when OIDC_ISSUER is set']);
    const issuer = new URL(c.OIDC_ISSUER);
    const loopback = issuer.hostname === 'localhost' || issuer.hostname === '127.0.0.1';
    if (issuer.protocol === 'http:' && !loopback) {
      throw new ConfigError([`OIDC_ISSUER=${JSON.stringify(c.OIDC_ISSUER)}: must be https (plain http is allowed for a loopback development provider only)`]);
    }
    oidc = { issuer: c.OIDC_ISSUER, clientId: c.OIDC_CLIENT_ID, clientSecret: c.OIDC_CLIENT_SECRET, linkClaim: c.OIDC_LINK_CLAIM, rolesClaim: c.OIDC_ROLES_CLAIM, allowInsecure: issuer.protocol === 'http:' };
  }
  return { publicOrigin, rpId, rpName: c.RP_NAME, rateLimitPerMinute: c.AUTH_RATE_LIMIT_PER_MIN, oidc };
}

/** IPv4 dotted, or IPv6 (a URL's hostname keeps its brackets): never a WebAuthn RP ID. */
function isIpAddress(host: string): boolean {
  return /^[\d.]+$|:/.test(host);
}

function openApiPaths(file: string): DocumentedPath[] {
  try {
    return loadOpenApiPaths(path.resolve(file));
  } catch (err) {
    throw new ConfigError([`LEGACY_OPENAPI_FILE=${JSON.stringify(file)}: ${(err as Error).message}`]);
  }
}

function legacyToken(c: RawConfig): LegacyTokenSettings {
  const outcome = legacyTokenSettings(c);
  if (!outcome.ok) throw new ConfigError(outcome.problems);
  return outcome.settings;
}

function legacyTokenInBrowser(c: RawConfig, credential: LegacyTokenSettings): PageCredential {
  const outcome = pageCredential(c.LEGACY_TOKEN_BROWSER_STORAGE, credential.location);
  if (!outcome.ok) throw new ConfigError([outcome.problem]);
  return outcome.credential;
}

/** A quarter of the pool by default: no one client can fill it; it takes four, each at its limit. */
function perClientShare(c: RawConfig): number {
  const share = c.LEGACY_MAX_SOCKETS_PER_CLIENT ?? Math.max(1, Math.floor(c.LEGACY_MAX_SOCKETS / 4));
  if (share > c.LEGACY_MAX_SOCKETS) {
    throw new ConfigError([`LEGACY_MAX_SOCKETS_PER_CLIENT="${share}": must be at most LEGACY_MAX_SOCKETS (${c.LEGACY_MAX_SOCKETS})`]);
  }
  return share;
}

function repoRoot(): string {
  return fileURLToPath(new URL('../..', import.meta.url));
}

/** Without PUBLIC_URL the proxy assumes local development, which is plain http on localhost. */
function isLocalHttp(publicUrl: string | undefined): boolean {
  if (!publicUrl) return true;
  const u = new URL(publicUrl);
  return u.protocol === 'http:' && (u.hostname === 'localhost' || u.hostname === '127.0.0.1');
}

function parseList(list: string | undefined): string[] {
  return (list ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

function parseOrigins(list: string | undefined): string[] {
  if (!list) return [];
  return list
    .split(',')
    .map((o) => o.trim())
    .filter(Boolean)
    .map((o) => {
      try {
        return new URL(o).origin;
      } catch {
        throw new ConfigError([`ALLOWED_ORIGINS=${JSON.stringify(list)}: "${o}" is not an origin like https://app.example`]);
      }
    });
}
