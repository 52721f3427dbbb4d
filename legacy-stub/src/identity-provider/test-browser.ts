/**
 * Test support: the browser's side of a redirect-based sign-in, done by hand with fetch. It
 * keeps cookies per host (like a browser: not per port), honours Path and Max-Age, follows
 * redirects one hop at a time and can stop before a given URL so a test can tamper with it.
 */
export interface Page {
  url: string;
  status: number;
  headers: Headers;
  body: string;
  /** Absolute Location of a redirect. */
  location?: string;
}

interface StoredCookie {
  name: string;
  value: string;
  path: string;
  expiresAt?: number;
}

export interface TestBrowser {
  fetch(url: string, init?: { method?: string; headers?: Record<string, string>; body?: string }): Promise<Page>;
  /** Follows redirects from `url`; returns the first non-redirect page, or the redirect whose target `stopBefore` matches. */
  go(url: string, stopBefore?: (url: string) => boolean): Promise<Page>;
  /** Fills and posts the page's form that has the given fields, then follows on like `go`. */
  submit(page: Page, fields: Record<string, string>, stopBefore?: (url: string) => boolean, formId?: string): Promise<Page>;
  cookie(host: string, name: string): string | undefined;
  /** Every URL this browser requested, in order. */
  visited: string[];
  /** Everything the browser received (status, headers, body), to look for what must never reach it. */
  transcript: string[];
}

export function createTestBrowser(): TestBrowser {
  const jar = new Map<string, StoredCookie[]>();
  const visited: string[] = [];
  const transcript: string[] = [];

  function cookiesFor(url: URL): string {
    const now = Date.now();
    const list = (jar.get(url.hostname) ?? []).filter((c) => c.expiresAt === undefined || c.expiresAt > now);
    return list
      .filter((c) => url.pathname === c.path || url.pathname.startsWith(c.path.endsWith('/') ? c.path : `${c.path}/`) || c.path === '/')
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  function store(url: URL, setCookies: string[]): void {
    const list = jar.get(url.hostname) ?? [];
    for (const line of setCookies) {
      const [pair, ...attrs] = line.split(';');
      const eq = pair!.indexOf('=');
      const cookie: StoredCookie = { name: pair!.slice(0, eq).trim(), value: pair!.slice(eq + 1).trim(), path: '/' };
      for (const attr of attrs) {
        const [k, v = ''] = attr.split('=');
        const key = k!.trim().toLowerCase();
        if (key === 'path') cookie.path = v.trim();
        if (key === 'max-age') cookie.expiresAt = Date.now() + Number(v) * 1000;
        if (key === 'expires' && cookie.expiresAt === undefined) cookie.expiresAt = Date.parse(v);
      }
      const kept = list.filter((c) => !(c.name === cookie.name && c.path === cookie.path));
      if (cookie.expiresAt === undefined || cookie.expiresAt > Date.now()) kept.push(cookie);
      list.splice(0, list.length, ...kept);
    }
    jar.set(url.hostname, list);
  }

  const browser: TestBrowser = {
    visited,
    transcript,
    async fetch(url, init = {}) {
      const target = new URL(url);
      visited.push(target.href);
      const cookie = cookiesFor(target);
      const response = await fetch(target, {
        method: init.method ?? 'GET',
        redirect: 'manual',
        headers: { ...(cookie ? { cookie } : {}), ...init.headers },
        ...(init.body !== undefined ? { body: init.body } : {}),
      });
      store(target, response.headers.getSetCookie());
      const location = response.headers.get('location');
      const body = await response.text();
      transcript.push(`${response.status} ${target.href}\n${[...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n')}\n\n${body}`);
      return {
        url: target.href,
        status: response.status,
        headers: response.headers,
        body,
        ...(location ? { location: new URL(location, target).href } : {}),
      };
    },
    async go(url, stopBefore) {
      let page = await browser.fetch(url);
      for (let hops = 0; page.location && hops < 20; hops++) {
        if (stopBefore?.(page.location)) return page;
        page = await browser.fetch(page.location);
      }
      return page;
    },
    async submit(page, fields, stopBefore, formId) {
      const form = findForm(page.body, Object.keys(fields), formId);
      if (!form) throw new Error(`no form with ${Object.keys(fields).join(', ')} on ${page.url}:\n${page.body.slice(0, 500)}`);
      const body = new URLSearchParams({ ...form.hidden, ...fields }).toString();
      let next = await browser.fetch(new URL(form.action, page.url).href, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body,
      });
      for (let hops = 0; next.location && hops < 20; hops++) {
        if (stopBefore?.(next.location)) return next;
        next = await browser.fetch(next.location);
      }
      return next;
    },
    cookie(host, name) {
      return jar.get(host)?.find((c) => c.name === name)?.value;
    },
  };
  return browser;
}

/** The first form (or the one with that id) holding all the fields (or, with an id, any). */
function findForm(html: string, fields: string[], formId?: string): { action: string; hidden: Record<string, string> } | undefined {
  for (const match of html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/gi)) {
    const attrs = match[1]!;
    const inner = match[2]!;
    if (formId !== undefined && !new RegExp(`id="${formId.replace(/\./g, '\\.')}"`).test(attrs)) continue;
    if (formId === undefined && !fields.every((f) => inner.includes(`name="${f}"`))) continue;
    const action = decodeEntities(/action="([^"]*)"/.exec(attrs)?.[1] ?? '');
    const hidden: Record<string, string> = {};
    for (const input of inner.matchAll(/<input\b[^>]*type="hidden"[^>]*>/gi)) {
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) hidden[name] = decodeEntities(value);
    }
    return { action, hidden };
  }
  return undefined;
}

function decodeEntities(s: string): string {
  return s
    .replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n: string) => String.fromCharCode(parseInt(n, 16)))
    .replace(/&amp;/g, '&')
    .replace(/&quot;/g, '"')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>');
}
