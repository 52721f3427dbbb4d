import { z } from 'zod';

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
  LEGACY_MAX_SOCKETS: z.coerce.number().int().positive().default(256),
  LEGACY_KEEPALIVE_MS: positiveMs.default(4_000),
  SHUTDOWN_GRACE_MS: positiveMs.default(10_000),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  TRUST_FORWARDED: bool.default(false),
});

export type RawConfig = z.output<typeof schema>;

export interface Config {
  port: number;
  host: string;
  legacyUrl: string;
  /** The origin the frontend uses to reach the proxy; when unset, taken from each request's Host. */
  publicUrl: string | undefined;
  reservedPrefix: string;
  legacyTimeoutMs: number;
  legacyMaxSockets: number;
  legacyKeepAliveMs: number;
  shutdownGraceMs: number;
  logLevel: RawConfig['LOG_LEVEL'];
  /** Believe X-Forwarded-Proto/-Host from the client side (only behind a trusted load balancer). */
  trustForwarded: boolean;
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
        return `${name}=${JSON.stringify(env[name] ?? '')}: ${issue.message}`;
      }),
    );
  }
  const c = parsed.data;
  return {
    port: c.PORT,
    host: c.HOST,
    legacyUrl: c.LEGACY_URL,
    publicUrl: c.PUBLIC_URL,
    reservedPrefix: c.RESERVED_PREFIX,
    legacyTimeoutMs: c.LEGACY_TIMEOUT_MS,
    legacyMaxSockets: c.LEGACY_MAX_SOCKETS,
    legacyKeepAliveMs: c.LEGACY_KEEPALIVE_MS,
    shutdownGraceMs: c.SHUTDOWN_GRACE_MS,
    logLevel: c.LOG_LEVEL,
    trustForwarded: c.TRUST_FORWARDED,
  };
}
