import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { startStack, type Stack } from '../test-support/stack.ts';
import type { StatusSnapshot } from '../proxy/src/status/snapshot.ts';
import { STATUS_TOKEN as TOKEN } from './status-support.ts';

/**
 * An API with article slugs and usernames in its paths, through the whole proxy: the
 * unmigrated list shows one row per endpoint, learned from traffic or read from the API's
 * OpenAPI document, never a row per article or per user. (The default stand-in answers 404
 * to a signed-in caller for these paths; the catch-all forwarded them all the same, and they are counted.)
 */
let stack: Stack | undefined;
afterEach(async () => {
  await stack?.stop();
  stack = undefined;
});

const SLUGS = Array.from({ length: 40 }, (_, i) => `how-to-train-your-dragon-part-${['one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight'][i % 8]}-${'abcde'[Math.floor(i / 8)]}`);
const USERS = Array.from({ length: 40 }, (_, i) => `${['jake', 'ingrid', 'ola', 'kari', 'emma', 'nora', 'sofie', 'lars'][i % 8]}${'abcde'[Math.floor(i / 8)]}`);

async function sendAll(s: Stack): Promise<void> {
  const headers = { authorization: `Bearer ${s.legacy.issueToken('ingrid')}` };
  for (let i = 0; i < 40; i++) {
    for (const p of [`/api/articles/${SLUGS[i]}`, `/api/profiles/${USERS[i]}`]) {
      const res = await fetch(`${s.proxyUrl}${p}`, { headers });
      await res.arrayBuffer();
      expect(res.status).toBe(404);
    }
  }
}

async function status(s: Stack): Promise<StatusSnapshot> {
  const res = await fetch(`${s.proxyUrl}/_proxy/status/api`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as StatusSnapshot;
}

const rows = (s: StatusSnapshot) => s.legacy.unmigrated.endpoints.map((e) => [`${e.method} ${e.path}`, e.count, e.source]);

describe('unmigrated traffic groups slugs and usernames into one row per endpoint', () => {
  it('learns the positions from traffic, folding in the rows counted before it had', async () => {
    stack = await startStack({ env: { STATUS_TOKEN: TOKEN } });
    expect(new Set([...SLUGS, ...USERS]).size).toBe(80);
    await sendAll(stack);
    const snapshot = await status(stack);
    expect(rows(snapshot).sort()).toEqual([
      ['GET /api/articles/:id', 40, 'learned'],
      ['GET /api/profiles/:id', 40, 'learned'],
    ]);
    expect(snapshot.legacy.unmigrated.total).toBe(80);
    const page = await (await fetch(`${stack.proxyUrl}/_proxy/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(page).toContain('GET /api/articles/:id</code><span class="tag tag-learned">learned</span>');
  }, 60_000);

  it('takes the templates from the legacy API\'s OpenAPI document when one is given', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'openapi-e2e-'));
    const file = path.join(dir, 'conduit.yaml');
    writeFileSync(
      file,
      ['openapi: 3.0.1', 'info: { title: Conduit, version: "1" }', 'servers: [{ url: /api }]', 'paths:', '  /articles/feed: { get: {} }', '  /articles/{slug}: { get: {} }', '  /profiles/{username}: { get: {} }', ''].join('\n'),
    );
    stack = await startStack({ env: { STATUS_TOKEN: TOKEN, LEGACY_OPENAPI_FILE: file } });
    await sendAll(stack);
    const feed = await fetch(`${stack.proxyUrl}/api/articles/feed`, { headers: { authorization: `Bearer ${stack.legacy.issueToken('ingrid')}` } });
    await feed.arrayBuffer();
    expect(rows(await status(stack)).sort()).toEqual([
      ['GET /api/articles/:slug', 40, 'openapi'],
      ['GET /api/articles/feed', 1, 'openapi'],
      ['GET /api/profiles/:username', 40, 'openapi'],
    ]);
    const page = await (await fetch(`${stack.proxyUrl}/_proxy/status`, { headers: { authorization: `Bearer ${TOKEN}` } })).text();
    expect(page).toContain('GET /api/profiles/:username</code><span class="tag tag-openapi">API document</span>');
  }, 60_000);
});
