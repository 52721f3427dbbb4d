import { describe, expect, it } from 'vitest';
import { safeReturnUrl } from './return-url.ts';

describe('safeReturnUrl', () => {
  it.each([
    ['//evil.example', '/'],
    ['//evil.example/path', '/'],
    ['/\\evil.example', '/'],
    ['/\t/evil.example', '/'],
    ['/\n/evil.example', '/'],
    ['/a\\b', '/'],
    ['https://evil.example', '/'],
    ['http:/evil.example', '/'],
    ['javascript:alert(1)', '/'],
    [' javascript:alert(1)', '/'],
    ['evil.example', '/'],
    ['', '/'],
    ['/' + 'a'.repeat(2048), '/'],
  ])('refuses %j', (input, expected) => {
    expect(safeReturnUrl(input)).toBe(expected);
  });

  it.each([
    ['/ok?x=1', '/ok?x=1'],
    ['/', '/'],
    ['/courses/42#grades', '/courses/42#grades'],
    ['/search?q=a%2F%2Fb', '/search?q=a%2F%2Fb'],
    ['/_proxy/auth/account', '/_proxy/auth/account'],
  ])('keeps %j', (input, expected) => {
    expect(safeReturnUrl(input)).toBe(expected);
  });

  it('refuses what is not a string', () => {
    for (const input of [undefined, null, 42, ['/ok'], { toString: () => '/ok' }]) expect(safeReturnUrl(input)).toBe('/');
  });
});
