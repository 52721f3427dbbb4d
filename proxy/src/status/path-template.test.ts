import { randomBytes } from 'node:crypto';
import { describe, it, expect } from 'vitest';
import { createEndpointTemplates } from './path-template.ts';

/** The fixed rules alone: a threshold no test reaches. */
const rules = () => createEndpointTemplates({ learnThreshold: 10_000 });
const templateOf = (path: string) => rules().endpoint('GET', path).key.slice('GET '.length);

describe('path templates fold ids so unmigrated traffic groups by legacy endpoint', () => {
  it.each([
    // The legacy stand-in's own ids
    ['/api/courses/c-101', '/api/courses/:id'],
    ['/api/sessions/s-1001', '/api/sessions/:id'],
    ['/api/users/u-ingrid/profile', '/api/users/:id/profile'],
    ['/api/organisations/org-uninett', '/api/organisations/:id'],
    ['/api/enrollments/e-42', '/api/enrollments/:id'],
    // Common id shapes
    ['/api/orders/12345', '/api/orders/:id'],
    ['/api/files/3f2504e0-4f89-41d3-9a0c-0305e82c3301', '/api/files/:id'],
    ['/api/blobs/5d41402abc4b2a76b9719d911017c592', '/api/blobs/:id'],
    ['/api/reports/2025-03-01', '/api/reports/:id'],
    ['/api/items/abc123/tags/7', '/api/items/:id/tags/:id'],
    ['/api/tokens/' + 'A'.repeat(50), '/api/tokens/:id'],
    // A slug made unique by a hex suffix, with or without a digit in it
    ['/api/articles/how-to-train-your-dragon-abcdef', '/api/articles/:id'],
    ['/api/articles/how-to-train-your-dragon-a1bcde/comments', '/api/articles/:id/comments'],
    ['/feed/how-to-train-your-dragon-0fbcde', '/feed/:id'],
  ])('%s -> %s', (path, template) => {
    expect(templateOf(path)).toBe(template);
  });

  it.each([
    '/api/users/profile',
    '/api/notifications/unread',
    '/api/stream/chunked',
    '/api/v2/courses',
    '/api/oauth2/token',
    '/api/i18n/messages',
    '/api/my-courses',
    '/api/auth/sign-in',
    '/.well-known/jwks.json',
    '/api/deadbeef',
    '/',
    // Title slugs are words, not ids: only the document or learning folds them
    '/api/articles/how-to-train-your-dragon',
    '/api/articles/notes-from-a-celebrity-author',
    '/api/profiles/jake',
    // A word of a-f letters at the end, outside a collection, is not a suffix
    '/api/the-lost-decade',
  ])('keeps literal segments: %s', (path) => {
    expect(templateOf(path)).toBe(path);
  });

  it('folds every random six-hex suffix after a collection, not about half of them', () => {
    const t = rules();
    for (let i = 0; i < 200; i++) {
      expect(t.endpoint('GET', `/api/articles/how-to-train-your-dragon-${randomBytes(3).toString('hex')}`).key).toBe('GET /api/articles/:id');
    }
  });

  it('leaves the query out, and keeps empty segments and trailing slashes as sent', () => {
    expect(templateOf('/api/courses/c-101?include=sessions&token=secret')).toBe('/api/courses/:id');
    expect(templateOf('/api/courses/')).toBe('/api/courses/');
    expect(templateOf('/api//courses')).toBe('/api//courses');
  });

  it('bounds what one request can add: long paths are cut, odd methods and non-paths grouped', () => {
    const deep = '/' + Array.from({ length: 30 }, (_, i) => `seg${String.fromCharCode(97 + (i % 26))}`).join('/');
    expect(templateOf(deep).split('/')).toHaveLength(14);
    expect(templateOf(deep).endsWith('/…')).toBe(true);
    const t = rules();
    expect(t.endpoint('GET', '/api/sessions/s-1?x=1')).toEqual({ key: 'GET /api/sessions/:id', source: 'rule' });
    expect(t.endpoint('PROPFIND', '/dav/x').key).toBe('OTHER /dav/x');
    expect(t.endpoint(undefined, '/dav/x').key).toBe('OTHER /dav/x');
    expect(t.endpoint('GET', 'http://evil.example/x').key).toBe('GET (not a path)');
    expect(t.endpoint('OPTIONS', '*').key).toBe('OPTIONS (not a path)');
  });

  it('answers a repeated path from memory: the very same endpoint object, per method', () => {
    const t = rules();
    const first = t.endpoint('GET', '/api/sessions/s-1?x=1');
    expect(t.endpoint('GET', '/api/sessions/s-1')).toBe(first);
    expect(t.endpoint('HEAD', '/api/sessions/s-1')).not.toBe(first);
  });
});
