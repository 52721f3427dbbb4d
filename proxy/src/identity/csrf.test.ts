import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { checkCsrf } from './csrf.ts';

const allowed = ['https://app.education.example', 'http://localhost:5173'];
const req = (method: string, headers: Record<string, string> = {}) => ({ method, headers }) as unknown as IncomingMessage;

describe('CSRF check for cookie-authenticated requests', () => {
  it.each(['GET', 'HEAD', 'OPTIONS'])('lets a safe %s through, whatever its origin', (method) => {
    expect(checkCsrf(req(method, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' }), allowed)).toEqual({
      ok: true,
    });
  });

  const unsafe = ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'];

  it.each(unsafe)('accepts %s from an allowed origin (exact match)', (method) => {
    expect(checkCsrf(req(method, { origin: 'https://app.education.example' }), allowed)).toEqual({ ok: true });
    expect(checkCsrf(req(method, { origin: 'http://localhost:5173', 'sec-fetch-site': 'same-site' }), allowed)).toEqual({
      ok: true,
    });
  });

  it.each(unsafe)('refuses %s from an origin that is not allowed', (method) => {
    for (const origin of [
      'https://evil.example',
      'https://app.education.example.evil.example',
      'https://app.education.example:8443',
      'http://app.education.example',
      'https://app.education.example/',
      'null',
    ]) {
      expect(checkCsrf(req(method, { origin, 'sec-fetch-site': 'same-origin' }), allowed).ok).toBe(false);
    }
  });

  it.each(unsafe)('accepts %s without Origin when the browser says same-origin or none', (method) => {
    expect(checkCsrf(req(method, { 'sec-fetch-site': 'same-origin' }), allowed)).toEqual({ ok: true });
    expect(checkCsrf(req(method, { 'sec-fetch-site': 'none' }), allowed)).toEqual({ ok: true });
  });

  it.each(unsafe)('refuses %s without Origin from another site', (method) => {
    expect(checkCsrf(req(method, { 'sec-fetch-site': 'cross-site' }), allowed).ok).toBe(false);
    expect(checkCsrf(req(method, { 'sec-fetch-site': 'same-site' }), allowed).ok).toBe(false);
  });

  it.each(unsafe)('fails closed for %s when neither header says where it comes from', (method) => {
    const verdict = checkCsrf(req(method), allowed);
    expect(verdict.ok).toBe(false);
    expect(verdict.ok === false && verdict.reason).toMatch(/neither Origin nor Sec-Fetch-Site/);
  });
});
