import { describe, it, expect } from 'vitest';
import { endpointKey, pathTemplate } from './path-template.ts';

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
  ])('%s -> %s', (path, template) => {
    expect(pathTemplate(path)).toBe(template);
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
  ])('keeps literal segments: %s', (path) => {
    expect(pathTemplate(path)).toBe(path);
  });

  it('leaves the query out, and keeps empty segments and trailing slashes as sent', () => {
    expect(pathTemplate('/api/courses/c-101?include=sessions&token=secret')).toBe('/api/courses/:id');
    expect(pathTemplate('/api/courses/')).toBe('/api/courses/');
    expect(pathTemplate('/api//courses')).toBe('/api//courses');
  });

  it('bounds what one request can add: long paths are cut, odd methods and non-paths grouped', () => {
    const deep = '/' + Array.from({ length: 30 }, (_, i) => `seg${String.fromCharCode(97 + (i % 26))}`).join('/');
    expect(pathTemplate(deep).split('/')).toHaveLength(14);
    expect(pathTemplate(deep).endsWith('/…')).toBe(true);
    expect(endpointKey('GET', '/api/sessions/s-1?x=1')).toBe('GET /api/sessions/:id');
    expect(endpointKey('PROPFIND', '/dav/x')).toBe('OTHER /dav/x');
    expect(endpointKey('GET', 'http://evil.example/x')).toBe('GET (not a path)');
    expect(endpointKey('OPTIONS', '*')).toBe('OPTIONS (not a path)');
  });
});
