import { describe, it, expect } from 'vitest';
import { ConfigError, loadConfig } from './config.ts';

describe('MAX_HEADER_BYTES', () => {
  it('defaults to 64 KiB, four times Node\'s own limit', () => {
    expect(loadConfig({}).maxHeaderBytes).toBe(65_536);
    expect(loadConfig({ MAX_HEADER_BYTES: '131072' }).maxHeaderBytes).toBe(131_072);
  });

  it.each([
    ['1000', /MAX_HEADER_BYTES="1000": must be at least 16384/],
    ['2000000', /MAX_HEADER_BYTES="2000000": must be at most 1048576/],
    ['big', /MAX_HEADER_BYTES="big"/],
  ])('refuses %s, naming the variable', (value, message) => {
    expect(() => loadConfig({ MAX_HEADER_BYTES: value })).toThrow(ConfigError);
    expect(() => loadConfig({ MAX_HEADER_BYTES: value })).toThrow(message);
  });
});

describe('ROUTE_CASE', () => {
  it('defaults to insensitive, as ASP.NET, most Java stacks and Express compare paths', () => {
    expect(loadConfig({}).routeCase).toBe('insensitive');
    expect(loadConfig({ ROUTE_CASE: 'sensitive' }).routeCase).toBe('sensitive');
  });

  it('refuses anything else, naming the variable', () => {
    expect(() => loadConfig({ ROUTE_CASE: 'Sensitive' })).toThrow(/ROUTE_CASE="Sensitive": must be insensitive .* or sensitive/);
  });
});

describe('STORE_TIMEOUT_MS', () => {
  it('defaults to one second', () => {
    expect(loadConfig({}).storeTimeoutMs).toBe(1_000);
    expect(loadConfig({ STORE_TIMEOUT_MS: '250' }).storeTimeoutMs).toBe(250);
  });

  it.each([
    ['0', /STORE_TIMEOUT_MS="0": must be at least 10/],
    ['60000', /STORE_TIMEOUT_MS="60000": must be at most 30000/],
    ['1s', /STORE_TIMEOUT_MS="1s"/],
  ])('refuses %s, naming the variable', (value, message) => {
    expect(() => loadConfig({ STORE_TIMEOUT_MS: value })).toThrow(message);
  });
});

describe('LEGACY_MAX_SOCKETS_PER_CLIENT', () => {
  it('defaults to a quarter of LEGACY_MAX_SOCKETS, at least 1', () => {
    expect(loadConfig({}).legacyMaxSocketsPerClient).toBe(64);
    expect(loadConfig({ LEGACY_MAX_SOCKETS: '10' }).legacyMaxSocketsPerClient).toBe(2);
    expect(loadConfig({ LEGACY_MAX_SOCKETS: '3' }).legacyMaxSocketsPerClient).toBe(1);
    expect(loadConfig({ LEGACY_MAX_SOCKETS_PER_CLIENT: '100' }).legacyMaxSocketsPerClient).toBe(100);
  });

  it('refuses a share larger than the pool, naming both variables', () => {
    expect(() => loadConfig({ LEGACY_MAX_SOCKETS: '8', LEGACY_MAX_SOCKETS_PER_CLIENT: '9' })).toThrow(/LEGACY_MAX_SOCKETS_PER_CLIENT="9": must be at most LEGACY_MAX_SOCKETS \(8\)/);
    expect(() => loadConfig({ LEGACY_MAX_SOCKETS_PER_CLIENT: '0' })).toThrow(/LEGACY_MAX_SOCKETS_PER_CLIENT="0"/);
  });
});

describe('slow clients: REQUEST_HEAD_TIMEOUT_MS, REQUEST_BODY_*', () => {
  it('defaults to 20 s for a head and for a silent body, and 240 B/s after 5 s', () => {
    expect(loadConfig({}).requestPace).toEqual({ headTimeoutMs: 20_000, bodyIdleMs: 20_000, bodyMinBytesPerSecond: 240, bodyGraceMs: 5_000 });
    expect(loadConfig({ REQUEST_BODY_MIN_BYTES_PER_S: '0' }).requestPace.bodyMinBytesPerSecond).toBe(0);
  });

  it.each(['REQUEST_HEAD_TIMEOUT_MS', 'REQUEST_BODY_IDLE_MS', 'REQUEST_BODY_GRACE_MS', 'REQUEST_BODY_MIN_BYTES_PER_S'])('refuses a negative %s, naming it', (name) => {
    expect(() => loadConfig({ [name]: '-1' })).toThrow(new RegExp(`${name}="-1"`));
  });
});

describe('RP_ID and passkeys', () => {
  it('takes PUBLIC_URL\'s host name, else localhost', () => {
    expect(loadConfig({}).auth.rpId).toBe('localhost');
    expect(loadConfig({ PUBLIC_URL: 'https://app.example:8443' }).auth.rpId).toBe('app.example');
    expect(loadConfig({ PUBLIC_URL: 'http://127.0.0.1:18080', RP_ID: 'localhost' }).auth.rpId).toBe('localhost');
  });

  it.each(['http://127.0.0.1:18080', 'http://[::1]:18080', 'https://10.0.0.7'])('turns passkeys off, not start-up, for a PUBLIC_URL on an IP address (%s)', (url) => {
    const config = loadConfig({ PUBLIC_URL: url });
    expect(config.auth.rpId).toBeUndefined();
    expect(config.auth.publicOrigin).toBe(new URL(url).origin);
  });

  it.each([
    ['127.0.0.1', /RP_ID="127.0.0.1": an IP address is not a valid WebAuthn RP ID/],
    ['::1', /RP_ID="::1": must be a host name/],
  ])('refuses an explicit RP_ID that is an IP address (%s), naming the variable', (value, message) => {
    expect(() => loadConfig({ RP_ID: value })).toThrow(ConfigError);
    expect(() => loadConfig({ RP_ID: value })).toThrow(message);
  });
});

describe('LEGACY_HEALTH_PATH', () => {
  it('defaults to /health; none judges reachability from traffic', () => {
    expect(loadConfig({}).legacyHealthPath).toBe('/health');
    expect(loadConfig({ LEGACY_HEALTH_PATH: '/api/ping?deep=0' }).legacyHealthPath).toBe('/api/ping?deep=0');
    expect(loadConfig({ LEGACY_HEALTH_PATH: 'none' }).legacyHealthPath).toBeNull();
  });

  it.each(['health', 'http://legacy/health', '/he alth'])('refuses %s, naming the variable', (value) => {
    expect(() => loadConfig({ LEGACY_HEALTH_PATH: value })).toThrow(/LEGACY_HEALTH_PATH=.*: must be a path on the legacy API starting with "\/"/);
  });
});

describe('tracing: OTEL_*', () => {
  it('is off unless OTEL_TRACES_EXPORTER=otlp', () => {
    expect(loadConfig({}).tracing).toBeUndefined();
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' }).tracing).toBeUndefined();
  });

  it('posts to the base endpoint\'s /v1/traces, or to the traces endpoint as given', () => {
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing).toEqual({
      tracesUrl: 'http://localhost:4318/v1/traces',
      headers: {},
      serviceName: 'strangler-proxy',
      sampler: 'parentbased_always_on',
      ratio: 1,
      exportDelayMs: 5_000,
    });
    expect(loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://collector.example:4318/' }).tracing?.tracesUrl).toBe('https://collector.example:4318/v1/traces');
    expect(
      loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:4318/custom/traces' }).tracing?.tracesUrl,
    ).toBe('http://b:4318/custom/traces');
  });

  it('takes the service name, the sampler and its ratio, and the collector\'s headers (percent-decoded)', () => {
    const tracing = loadConfig({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_SERVICE_NAME: 'bff-eu',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
      OTEL_EXPORTER_OTLP_HEADERS: 'authorization=Bearer%20abc, x-tenant=edu',
    }).tracing;
    expect(tracing).toMatchObject({ serviceName: 'bff-eu', sampler: 'parentbased_traceidratio', ratio: 0.01, headers: { authorization: 'Bearer abc', 'x-tenant': 'edu' } });
  });

  it.each([
    ['OTEL_TRACES_EXPORTER', 'jaeger', /OTEL_TRACES_EXPORTER="jaeger": must be otlp .* or none/],
    ['OTEL_EXPORTER_OTLP_ENDPOINT', 'collector:4318', /OTEL_EXPORTER_OTLP_ENDPOINT="collector:4318": must be an http\(s\) URL/],
    ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'grpc://collector:4317', /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT="grpc:\/\/collector:4317": must be the http\(s\) URL/],
    ['OTEL_TRACES_SAMPLER', 'sometimes', /OTEL_TRACES_SAMPLER="sometimes": must be one of always_on, .*parentbased_traceidratio/],
    ['OTEL_TRACES_SAMPLER_ARG', '5', /OTEL_TRACES_SAMPLER_ARG="5": must be a ratio from 0 to 1/],
    ['OTEL_TRACES_SAMPLER_ARG', 'half', /OTEL_TRACES_SAMPLER_ARG="half"/],
    ['OTEL_BSP_SCHEDULE_DELAY', '0', /OTEL_BSP_SCHEDULE_DELAY="0": must be at least 1/],
  ])('refuses %s=%s, naming the variable', (name, value, message) => {
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', [name]: value })).toThrow(message);
  });

  it('refuses malformed OTEL_EXPORTER_OTLP_HEADERS without echoing them: they carry credentials', () => {
    const attempt = () => loadConfig({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_HEADERS: 'Bearer s3cret-token' });
    expect(attempt).toThrow(/OTEL_EXPORTER_OTLP_HEADERS=\(hidden\): must be name=value pairs/);
    expect(attempt).not.toThrow(/s3cret/);
  });
});

describe('LEGACY_TOKEN_BROWSER_STORAGE', () => {
  const inBrowser = (env: Record<string, string>) => loadConfig(env).legacyTokenInBrowser;

  it("defaults to our stand-in frontend's localStorage.legacyToken, sent as Authorization: Bearer", () => {
    expect(inBrowser({})).toEqual({ storage: 'localStorage', key: 'legacyToken', header: 'Authorization', scheme: 'Bearer' });
  });

  it('sends the token in the first configured scheme, or alone in the configured header', () => {
    expect(inBrowser({ LEGACY_TOKEN_SCHEMES: 'Token,Bearer', LEGACY_TOKEN_BROWSER_STORAGE: 'localStorage:jwt' })).toEqual({
      storage: 'localStorage',
      key: 'jwt',
      header: 'Authorization',
      scheme: 'Token',
    });
    // A key may hold a colon (redux-persist's `persist:auth`): only the first one separates.
    expect(inBrowser({ LEGACY_TOKEN_HEADER: 'X-Auth-Token', LEGACY_TOKEN_BROWSER_STORAGE: 'sessionStorage:persist:auth' })).toEqual({
      storage: 'sessionStorage',
      key: 'persist:auth',
      header: 'x-auth-token',
      scheme: undefined,
    });
  });

  it('none: the pages send nothing extra; with LEGACY_TOKEN_COOKIE that is the default (the browser sends the cookie)', () => {
    expect(inBrowser({ LEGACY_TOKEN_BROWSER_STORAGE: 'none' })).toEqual({ storage: 'none' });
    expect(inBrowser({ LEGACY_TOKEN_COOKIE: 'jwt' })).toEqual({ storage: 'none' });
    expect(inBrowser({ LEGACY_TOKEN_COOKIE: 'jwt', LEGACY_TOKEN_BROWSER_STORAGE: 'none' })).toEqual({ storage: 'none' });
  });

  it.each(['jwt', 'localStorage:', 'cookie:jwt', 'LocalStorage:jwt', 'localStorage:my token', 'None'])('refuses %s, naming the variable and the forms it takes', (value) => {
    const attempt = () => loadConfig({ LEGACY_TOKEN_BROWSER_STORAGE: value });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(`LEGACY_TOKEN_BROWSER_STORAGE=${JSON.stringify(value)}: must be localStorage:<key> or sessionStorage:<key>`);
  });

  it('refuses a storage place when the token travels in a cookie, which a page cannot send', () => {
    const attempt = () => loadConfig({ LEGACY_TOKEN_COOKIE: 'jwt', LEGACY_TOKEN_BROWSER_STORAGE: 'localStorage:jwt' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/LEGACY_TOKEN_BROWSER_STORAGE="localStorage:jwt": the legacy token travels in the cookie jwt \(LEGACY_TOKEN_COOKIE\).*set none/);
  });
});
